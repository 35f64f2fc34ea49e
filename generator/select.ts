/**
 * Which Consul services become Kubernetes Services, and why the others do not. Pure.
 * Order of the checks (the first that applies is the reason reported):
 * loop guard (sync tag / external-source=kubernetes, per cluster with --cluster-id), opt-out meta, --include/--exclude,
 * not resolvable through Consul DNS, same DNS name as another service (differs only in case),
 * conflict, no unique Kubernetes name.
 */
import { Minimatch } from 'minimatch';
import { isConsulDnsName } from '../core/names/dns';
import {
  EXTERNAL_SOURCE_KUBERNETES,
  META_EXTERNAL_SOURCE as EXTERNAL_SOURCE_META,
} from '../core/consul/meta';
import { OPT_OUT_META } from './source/instance-rules';
import { assignKubernetesNames, resolveCaseVariants } from './names';
import type { SelectedService, SkippedService } from './types';
import type { CatalogService } from './source/catalog';

export interface SelectOptions {
  /** `--consul-k8s-tag`: services carrying it came from Kubernetes. */
  syncTag: string;
  /** `--include` globs: when any, only matching names are rendered. */
  include: readonly string[];
  /** `--exclude` globs: matching names are not rendered. */
  exclude: readonly string[];
  /** `--k8s-service-prefix`. */
  prefix: string;
  /**
   * `--cluster-id`: this cluster's registrar ID. When set, only what this cluster's Kubernetes
   * registered is loop-guarded; services registered from other clusters are rendered.
   */
  clusterId?: string;
}

/** Kubernetes names already used by someone else: name -> where (for the reason text). */
export type Conflicts = ReadonlyMap<string, string>;

interface Selection {
  selected: SelectedService[];
  skipped: SkippedService[];
}

interface NameFilter {
  include: Minimatch[];
  exclude: Minimatch[];
}

/**
 * Why a `--include`/`--exclude` glob is refused, or undefined when it is fine. minimatch takes an
 * unclosed `[`, `{` or `(` (and a stray `]`, `}` or `)`) as a literal character, which no Consul
 * DNS name holds: such a glob would silently match nothing, so it is refused at startup.
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'empty pattern';
  const open = { '{': 0, '(': 0 };
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === '\\') {
      if (i === pattern.length - 1) return 'ends with a lone "\\" (it escapes nothing)';
      i += 1;
    } else if (char === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) return 'unclosed "[" (a character class needs its closing "]")';
      i = end;
    } else if (char === ']') return 'unmatched "]"';
    else if (char === '{' || char === '(') open[char] += 1;
    else if (char === '}' || char === ')') {
      const opener = char === '}' ? '{' : '(';
      if (open[opener] === 0) return `unmatched "${char}"`;
      open[opener] -= 1;
    }
  }
  if (open['{'] > 0) return 'unclosed "{" (a brace list needs its closing "}")';
  if (open['('] > 0) return 'unclosed "(" (a pattern list needs its closing ")")';
  return undefined;
}

/** Index of the `]` closing the character class opened at `start`, or -1. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i += 1;
  if (pattern[i] === ']') i += 1; // a `]` first in the class is a member
  for (; i < pattern.length; i += 1) {
    if (pattern[i] === '\\') i += 1;
    else if (pattern.startsWith('[:', i) && pattern.includes(':]', i + 2)) {
      i = pattern.indexOf(':]', i + 2) + 1; // a POSIX class such as [:alpha:]
    } else if (pattern[i] === ']') return i;
  }
  return -1;
}

function compileFilter(options: SelectOptions): NameFilter {
  const compile = (pattern: string): Minimatch => new Minimatch(pattern, { dot: true, nocomment: true });
  return { include: options.include.map(compile), exclude: options.exclude.map(compile) };
}

/** The reason a service is not rendered before names are assigned, or undefined. */
function exclusionReason(
  service: CatalogService,
  options: SelectOptions,
  filter: NameFilter = compileFilter(options),
): string | undefined {
  const loop = loopGuardReason(service, options);
  if (loop !== undefined) return loop;
  if (service.optedOut) return `opted out (instance meta ${OPT_OUT_META}=false)`;
  const matches = (matcher: Minimatch): boolean => matcher.match(service.name);
  if (filter.include.length > 0 && !filter.include.some(matches)) {
    return `not matched by --include ${options.include.join(', ')}`;
  }
  const excludedBy = filter.exclude.find(matches);
  if (excludedBy !== undefined) return `excluded by --exclude ${excludedBy.pattern}`;
  if (!isConsulDnsName(service.name)) {
    return 'not resolvable through Consul DNS (a DNS label: letters, digits, "-", at most 63 characters)';
  }
  return undefined;
}

/**
 * Services that came from Kubernetes are not rendered back. Without --cluster-id (consul-k8s):
 * the sync tag or any instance with external-source=kubernetes. With it: instances of this
 * cluster (its ID, or no ID: a registrar that does not say) are ours; the sync tag alone counts
 * only when no instance says it came from another cluster.
 */
function loopGuardReason(service: CatalogService, options: SelectOptions): string | undefined {
  if (options.clusterId === undefined) {
    if (service.tags.includes(options.syncTag)) {
      return `came from Kubernetes (tag "${options.syncTag}"): not synced back (loop guard)`;
    }
    if (service.fromKubernetes !== 'none') {
      return `came from Kubernetes (meta ${EXTERNAL_SOURCE_META}=${EXTERNAL_SOURCE_KUBERNETES}): not synced back (loop guard)`;
    }
    return undefined;
  }
  if (service.fromKubernetes === 'this-cluster')
    return `came from this cluster's Kubernetes (--cluster-id ${options.clusterId}): not synced back (loop guard)`;
  if (service.tags.includes(options.syncTag) && service.fromKubernetes === 'none') {
    return `came from Kubernetes (tag "${options.syncTag}", no cluster ID): not synced back (loop guard)`;
  }
  return undefined;
}

export function selectServices(
  services: readonly CatalogService[],
  options: SelectOptions,
  conflicts: Conflicts = new Map(),
): Selection {
  const skipped: SkippedService[] = [];
  const eligible: CatalogService[] = [];
  const filter = compileFilter(options);
  for (const service of services) {
    const reason = exclusionReason(service, options, filter);
    if (reason === undefined) eligible.push(service);
    else skipped.push({ consulName: service.name, reason });
  }
  const { shadowed } = resolveCaseVariants(eligible.map((service) => service.name));
  for (const [consulName, kept] of shadowed) {
    skipped.push({
      consulName,
      reason: `same DNS name as Consul service "${kept}" (DNS is case-insensitive): one Service, made from "${kept}"`,
    });
  }
  const candidates = eligible.filter((service) => !shadowed.has(service.name));
  const { names, unassigned } = assignKubernetesNames(
    candidates.map((service) => service.name),
    options.prefix,
  );
  const selected: SelectedService[] = [];
  for (const service of candidates) {
    const k8sName = names.get(service.name);
    if (k8sName === undefined) continue;
    const conflict = conflicts.get(k8sName);
    if (conflict !== undefined) {
      skipped.push({
        consulName: service.name,
        reason: `conflict: Service "${k8sName}" already defined ${conflict}`,
      });
    } else {
      selected.push({ consulName: service.name, k8sName, tags: [...new Set(service.tags)].sort() });
    }
  }
  for (const consulName of unassigned) {
    skipped.push({
      consulName,
      reason: 'no unique Kubernetes name (collides with another service after sanitising)',
    });
  }
  selected.sort((a, b) => compare(a.k8sName, b.k8sName));
  skipped.sort((a, b) => compare(a.consulName, b.consulName));
  return { selected, skipped };
}

/** Code-unit order: stable across locales. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
