/**
 * Which Consul services become Kubernetes Services, and why the others do not. Pure.
 * Order of the checks (the first that applies is the reason reported):
 * loop guard (sync tag / external-source=kubernetes), opt-out meta, --include/--exclude,
 * not resolvable through Consul DNS, conflict, no unique Kubernetes name.
 */
import { Minimatch } from 'minimatch';
import { isConsulDnsName } from '../core/names/dns';
import { assignKubernetesNames } from './names';
import type { CatalogService, SelectedService, SkippedService } from './types';

/** Instance meta that marks a service registered from Kubernetes (consul-k8s and our registrar). */
export const EXTERNAL_SOURCE_META = 'external-source';
export const EXTERNAL_SOURCE_KUBERNETES = 'kubernetes';
/** Instance meta a Consul service owner sets to keep a service out of Kubernetes. */
export const OPT_OUT_META = 'k8s-sync';

export interface SelectOptions {
  /** `--consul-k8s-tag`: services carrying it came from Kubernetes. */
  syncTag: string;
  /** `--include` globs: when any, only matching names are rendered. */
  include: readonly string[];
  /** `--exclude` globs: matching names are not rendered. */
  exclude: readonly string[];
  /** `--k8s-service-prefix`. */
  prefix: string;
}

/** Kubernetes names already used by someone else: name -> where (for the reason text). */
export type Conflicts = ReadonlyMap<string, string>;

export interface Selection {
  selected: SelectedService[];
  skipped: SkippedService[];
}

interface NameFilter {
  include: Minimatch[];
  exclude: Minimatch[];
}

function compileFilter(options: SelectOptions): NameFilter {
  const compile = (pattern: string): Minimatch => new Minimatch(pattern, { dot: true, nocomment: true });
  return { include: options.include.map(compile), exclude: options.exclude.map(compile) };
}

/** The reason a service is not rendered before names are assigned, or undefined. */
export function exclusionReason(
  service: CatalogService,
  options: SelectOptions,
  filter: NameFilter = compileFilter(options),
): string | undefined {
  if (service.tags.includes(options.syncTag)) {
    return `came from Kubernetes (tag "${options.syncTag}"): not synced back (loop guard)`;
  }
  if (
    service.instances.some((instance) => instance.meta[EXTERNAL_SOURCE_META] === EXTERNAL_SOURCE_KUBERNETES)
  ) {
    return `came from Kubernetes (meta ${EXTERNAL_SOURCE_META}=${EXTERNAL_SOURCE_KUBERNETES}): not synced back (loop guard)`;
  }
  if (service.instances.some((instance) => instance.meta[OPT_OUT_META]?.toLowerCase() === 'false')) {
    return `opted out (instance meta ${OPT_OUT_META}=false)`;
  }
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

export function selectServices(
  services: readonly CatalogService[],
  options: SelectOptions,
  conflicts: Conflicts = new Map(),
): Selection {
  const skipped: SkippedService[] = [];
  const candidates: CatalogService[] = [];
  const filter = compileFilter(options);
  for (const service of services) {
    const reason = exclusionReason(service, options, filter);
    if (reason === undefined) candidates.push(service);
    else skipped.push({ consulName: service.name, reason });
  }
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
