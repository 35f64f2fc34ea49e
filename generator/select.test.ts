import { factsOfInstances, GO_FALSE_VALUES } from './source/instance-rules';
import { selectServices, type SelectOptions } from './select';
import type { CatalogService } from './source/catalog';

const options: SelectOptions = { syncTag: 'k8s', include: [], exclude: [], prefix: '' };
/** A service from its instances' meta; `clusterId` as the source would be given it. */
const svc = (
  name: string,
  tags: string[] = [],
  meta: Record<string, string>[] = [{}],
  clusterId?: string,
): CatalogService => ({ name, tags, ...factsOfInstances(meta, clusterId) });
const reasons = (
  services: CatalogService[],
  opts: SelectOptions = options,
  conflicts = new Map<string, string>(),
) => {
  const { selected, skipped } = selectServices(services, opts, conflicts);
  return {
    selected: selected.map((s) => s.k8sName),
    skipped: Object.fromEntries(skipped.map((s) => [s.consulName, s.reason])),
  };
};

describe('selectServices', () => {
  it('skips services from Kubernetes: sync tag or external-source=kubernetes (loop guard)', () => {
    const result = reasons([
      svc('web'),
      svc('from-k8s', ['k8s']),
      svc('from-meta', [], [{ 'external-source': 'kubernetes' }]),
      svc('mixed', [], [{}, { 'external-source': 'kubernetes' }]),
    ]);
    expect(result.selected).toEqual(['web']);
    expect(result.skipped['from-k8s']).toMatch(/loop guard/);
    expect(result.skipped['from-meta']).toMatch(/external-source=kubernetes/);
    expect(result.skipped.mixed).toMatch(/loop guard/);
  });

  it('honours a custom --consul-k8s-tag', () => {
    expect(
      reasons([svc('a', ['k8s']), svc('b', ['kube'])], { ...options, syncTag: 'kube' }).selected,
    ).toEqual(['a']);
  });

  it('skips services whose instances opt out with k8s-sync=false', () => {
    const result = reasons([svc('a', [], [{ 'k8s-sync': 'false' }]), svc('b', [], [{ 'k8s-sync': 'true' }])]);
    expect(result.selected).toEqual(['b']);
    expect(result.skipped.a).toMatch(/opted out/);
  });

  it('k8s-sync takes Go booleans (strconv.ParseBool): 0, f, F, false, FALSE, False opt out; others do not', () => {
    const falsy = GO_FALSE_VALUES.map((value, i) => svc(`off-${i}`, [], [{ 'k8s-sync': value }]));
    const other = ['1', 't', 'true', 'no', 'fAlSe', ''].map((value, i) =>
      svc(`on-${i}`, [], [{ 'k8s-sync': value }]),
    );
    const result = reasons([...falsy, ...other]);
    expect(new Set(result.selected)).toEqual(new Set(other.map((service) => service.name)));
    expect(Object.keys(result.skipped)).toHaveLength(GO_FALSE_VALUES.length);
  });

  it('applies --include then --exclude globs', () => {
    const result = reasons([svc('web-a'), svc('web-b'), svc('db')], {
      ...options,
      include: ['web-*'],
      exclude: ['*-b'],
    });
    expect(result.selected).toEqual(['web-a']);
    expect(result.skipped.db).toMatch(/--include/);
    expect(result.skipped['web-b']).toMatch(/--exclude \*-b/);
  });

  it('skips names Consul DNS cannot resolve instead of rendering a broken CNAME', () => {
    const hostile = ['../../etc', 'a/b', 'ünïcode', 'x'.repeat(300), 'UPPER_case.name', '', ' web'];
    const result = reasons(hostile.map((name) => svc(name)));
    expect(result.selected).toEqual([]);
    for (const name of hostile) expect(result.skipped[name]).toMatch(/Consul DNS/);
  });

  it('skips conflicts with the reason', () => {
    const result = reasons(
      [svc('web'), svc('api')],
      options,
      new Map([['web', 'in the repository at apps/web.yaml']]),
    );
    expect(result.selected).toEqual(['api']);
    expect(result.skipped.web).toBe(
      'conflict: Service "web" already defined in the repository at apps/web.yaml',
    );
  });

  it('renders names that differ only in case once (DNS is case-insensitive) and reports the others', () => {
    const { selected, skipped } = selectServices(
      [svc('WEB'), svc('web'), svc('Web'), svc('Api'), svc('API')],
      options,
    );
    expect(selected.map((s) => [s.k8sName, s.consulName])).toEqual([
      ['api', 'API'],
      ['web', 'web'],
    ]);
    expect(Object.fromEntries(skipped.map((s) => [s.consulName, s.reason]))).toEqual({
      Api: 'same DNS name as Consul service "API" (DNS is case-insensitive): one Service, made from "API"',
      WEB: 'same DNS name as Consul service "web" (DNS is case-insensitive): one Service, made from "web"',
      Web: 'same DNS name as Consul service "web" (DNS is case-insensitive): one Service, made from "web"',
    });
    const reversed = selectServices([svc('API'), svc('Api'), svc('Web'), svc('web'), svc('WEB')], options);
    expect(reversed).toEqual({ selected, skipped });
  });

  it('a spelling excluded earlier does not take the DNS name from the one that is rendered', () => {
    const result = reasons([svc('web', ['k8s']), svc('Web')]);
    expect(result.selected).toEqual(['web']);
    expect(result.skipped.web).toMatch(/loop guard/);
  });

  it('sorts and de-duplicates tags', () => {
    expect(selectServices([svc('a', ['z', 'a', 'z'])], options).selected[0]!.tags).toEqual(['a', 'z']);
  });
});

describe('selectServices with --cluster-id', () => {
  const east = { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'east' };
  const west = { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'west' };
  const opts = { ...options, clusterId: 'west' };

  it("renders other clusters' Kubernetes services and guards only this cluster's", () => {
    const result = reasons(
      [
        svc('checkout', ['k8s'], [east], 'west'),
        svc('billing', ['k8s'], [west], 'west'),
        svc('shared', ['k8s'], [east, west], 'west'),
        svc('consul-k8s', ['k8s'], [{ 'external-source': 'kubernetes' }], 'west'),
        svc('tag-only', ['k8s']),
        svc('vm'),
      ],
      opts,
    );
    expect(result.selected).toEqual(['checkout', 'vm']);
    expect(result.skipped.billing).toMatch(/this cluster's Kubernetes \(--cluster-id west\)/);
    expect(result.skipped.shared).toMatch(/loop guard/);
    expect(result.skipped['consul-k8s']).toMatch(/loop guard/);
    expect(result.skipped['tag-only']).toMatch(/no cluster ID/);
  });
});
