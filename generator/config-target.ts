/**
 * What `generate` reads and renders: the catalog source (Consul or a file), which Consul services
 * are selected, and how each becomes an ExternalName Service (namespace, prefix, domain,
 * datacenter, owner, shards). Their zod fields, the rules between them, and the settings they
 * become. Pure: no I/O.
 */
import { z } from 'zod';
import { isValidSyncTag } from '../core/annotations';
import { isDns1123Label } from '../core/names/dns';
import { shortHash } from './names';
import { INVENTORY_NAME } from './render';
import { globProblem, type SelectOptions } from './select';
import type { RenderOptions } from './types';

const DEFAULT_OWNER_ID = 'default';

const DOMAIN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const DATACENTER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;
const SERVICE_PREFIX = /^[a-z][-a-z0-9]*$/;

/** Consul takes its domain with or without the root's dot (`consul.`); externalName never has it. */
const withoutRootDot = (domain: string): string => domain.replace(/\.$/, '');

/** A string flag refused, naming the flag and the value, unless `valid`. */
const checked = (valid: (value: string) => boolean, problem: (value: string) => string) =>
  z.string().refine(valid, { error: (issue) => problem(String(issue.input)) });

/** Repeatable glob flags; each malformed glob is refused, naming the flag and the glob. */
const globs = (flag: string) =>
  z
    .array(z.string())
    .default([])
    .superRefine((patterns, ctx) => {
      for (const pattern of patterns) {
        const problem = globProblem(pattern);
        if (problem !== undefined)
          ctx.addIssue({ code: 'custom', message: `${flag} ${JSON.stringify(pattern)}: ${problem}` });
      }
    });

export const targetFlags = {
  catalogFile: z.string().optional(),
  datacenter: checked(
    (dc) => DATACENTER.test(dc),
    (dc) => `--datacenter: "${dc}" is not a datacenter name`,
  ).optional(),
  consulK8sTag: z.string().refine(isValidSyncTag, {
    message: '--consul-k8s-tag: must be non-empty, without surrounding whitespace',
  }),
  clusterId: checked(
    isDns1123Label,
    (id) =>
      `--cluster-id: "${id}" is not a cluster ID (lowercase letters, digits and "-", as given to the registrar)`,
  ).optional(),
  ownerId: checked(
    isDns1123Label,
    (id) =>
      `--owner-id: "${id}" is not a valid ID (lowercase letters, digits and "-", at most 63 characters)`,
  ).optional(),
  include: globs('--include'),
  exclude: globs('--exclude'),
  consulDomain: checked(
    (domain) => DOMAIN.test(withoutRootDot(domain)),
    (domain) => `--consul-domain: "${domain}" is not a lowercase DNS domain (such as consul, or consul.)`,
  ).transform(withoutRootDot),
  // `true` when given without a value.
  consulDatacenterDns: z
    .union([
      z.literal(true),
      checked(
        (dc) => DATACENTER.test(dc),
        (dc) => `--consul-datacenter-dns: "${dc}" is not a datacenter name (letters, digits, "-")`,
      ),
    ])
    .optional(),
  k8sWriteNamespace: checked(
    isDns1123Label,
    (ns) => `--k8s-write-namespace: "${ns}" is not a namespace name (DNS label)`,
  ),
  k8sServicePrefix: checked(
    (prefix) => prefix === '' || (SERVICE_PREFIX.test(prefix) && prefix.length <= 40),
    (prefix) =>
      `--k8s-service-prefix: "${prefix}" must start with a lowercase letter and hold only a-z, 0-9 and "-" (at most 40 characters)`,
  ),
  annotateConsulTags: z.boolean().optional(),
  /** `--shard-size` (0: never shard). */
  shardSize: z.number().int().min(0, '--shard-size: expected an integer >= 0'),
  checkCluster: z.boolean().optional(),
  adoptConsulK8s: z.boolean().optional(),
  kubeconfig: z.string().optional(),
};

type TargetOptions = z.infer<z.ZodObject<typeof targetFlags>>;

/** Rules between the target flags. */
export function targetProblems(o: TargetOptions): string[] {
  const problems: string[] = [];
  if (o.adoptConsulK8s && !o.checkCluster)
    problems.push(
      '--adopt-consul-k8s: needs --check-cluster (it decides which cluster Services are not conflicts)',
    );
  if (o.consulDatacenterDns === true && o.datacenter === undefined && o.catalogFile !== undefined)
    problems.push(
      '--consul-datacenter-dns: give the datacenter (--consul-datacenter-dns dc1) or set --datacenter; a catalog file does not say which datacenter it is from',
    );
  return problems;
}

/**
 * The inventory ConfigMap's name: one per generator, so two generators writing to one namespace
 * (each its own --path) do not collide in kustomize or in the cluster. From --owner-id or
 * --cluster-id when given, else from the managed path.
 */
function inventoryNameFor(id: string | undefined, managedPath: string): string {
  return `${INVENTORY_NAME}-${id ?? shortHash(managedPath)}`;
}

export interface TargetSettings {
  source: { kind: 'file'; path: string } | { kind: 'consul'; datacenter?: string };
  select: SelectOptions;
  render: RenderOptions;
  checkCluster: boolean;
  /** `--adopt-consul-k8s` (only with --check-cluster). */
  adoptConsulK8s: boolean;
  kubeconfig?: string;
}

export function targetSettings(o: TargetOptions, managedPath: string): TargetSettings {
  // Without a value: --datacenter, else the datacenter Consul answers from (a file cannot say).
  const datacenterDns = o.consulDatacenterDns === true ? o.datacenter : o.consulDatacenterDns;
  const datacenterFromCatalog = o.consulDatacenterDns === true && o.datacenter === undefined;
  return {
    source:
      o.catalogFile !== undefined
        ? { kind: 'file', path: o.catalogFile }
        : { kind: 'consul', ...(o.datacenter ? { datacenter: o.datacenter } : {}) },
    select: {
      syncTag: o.consulK8sTag,
      include: o.include,
      exclude: o.exclude,
      prefix: o.k8sServicePrefix,
      ...(o.clusterId !== undefined ? { clusterId: o.clusterId } : {}),
    },
    render: {
      namespace: o.k8sWriteNamespace,
      domain: o.consulDomain,
      annotateTags: Boolean(o.annotateConsulTags),
      owner: o.ownerId ?? o.clusterId ?? DEFAULT_OWNER_ID,
      inventoryName: inventoryNameFor(o.ownerId ?? o.clusterId, managedPath),
      shardSize: o.shardSize,
      ...(datacenterDns !== undefined ? { datacenter: datacenterDns } : {}),
      ...(datacenterFromCatalog ? { datacenterFromCatalog } : {}),
    },
    checkCluster: Boolean(o.checkCluster),
    adoptConsulK8s: Boolean(o.adoptConsulK8s),
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
  };
}
