import { isDns1035Label } from '../core/names/dns';
import { assignKubernetesNames, baseKubernetesName, resolveCaseVariants, shortHash } from './names';

describe('baseKubernetesName', () => {
  it.each([
    ['web', '', 'web'],
    ['web', 'consul-', 'consul-web'],
    ['UPPER-case', '', 'upper-case'],
    ['UPPER_case.name', '', 'upper-case-name'],
    ['../../etc', '', 'etc'],
    ['a/b', '', 'a-b'],
    ['9lives', '', 'c-9lives'],
    ['9lives', 'sync-', 'sync-9lives'],
    ['X--Y', '', 'x--y'],
    ['XN--Bcher-kva', '', 'xn--bcher-kva'],
    ['9X--Y', '', 'c-9x-y'],
    ['-edge-', '', 'edge'],
    ['ünïcödé-svc', '', 'n-c-d-svc'],
    ['__', '', 'c'],
  ])('%j with prefix %j -> %j', (consulName, prefix, expected) => {
    expect(baseKubernetesName(prefix, consulName)).toBe(expected);
    expect(isDns1035Label(baseKubernetesName(prefix, consulName))).toBe(true);
  });

  it('keeps an already valid name exactly (even with double hyphens)', () => {
    expect(baseKubernetesName('', 'a--b')).toBe('a--b');
  });

  it('shortens names over 63 characters with a stable hash suffix', () => {
    const long = 'x'.repeat(300);
    const name = baseKubernetesName('', long);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toBe(`${'x'.repeat(54)}-${shortHash(long)}`);
    expect(isDns1035Label(name)).toBe(true);
    const exactly63 = 'a'.repeat(63);
    expect(baseKubernetesName('', exactly63)).toBe(exactly63);
    expect(baseKubernetesName('p-', exactly63)).toHaveLength(63);
  });
});

describe('assignKubernetesNames', () => {
  it('gives colliding names a hash suffix; the plain valid name keeps its form', () => {
    const { names, unassigned } = assignKubernetesNames(['web', 'Web', 'WEB'], '');
    expect(unassigned).toEqual([]);
    expect(names.get('web')).toBe('web');
    expect(names.get('Web')).toBe(`web-${shortHash('Web')}`);
    expect(names.get('WEB')).toBe(`web-${shortHash('WEB')}`);
  });

  it('is independent of input order', () => {
    const input = ['b', 'A', 'a', 'B_x', 'b-x', 'kustomization'];
    const forward = assignKubernetesNames(input, '');
    const backward = assignKubernetesNames([...input].reverse(), '');
    expect([...forward.names.entries()].sort()).toEqual([...backward.names.entries()].sort());
  });

  it('never hands out the reserved name "kustomization"', () => {
    const { names } = assignKubernetesNames(['kustomization'], '');
    expect(names.get('kustomization')).toBe(`kustomization-${shortHash('kustomization')}`);
  });

  it('assigns unique valid names for many near-identical inputs', () => {
    const input = Array.from({ length: 200 }, (_, i) => `Svc.${i % 7}_${'y'.repeat(i % 90)}`);
    const { names, unassigned } = assignKubernetesNames(input, 'p-');
    expect(unassigned).toEqual([]);
    const values = [...names.values()];
    expect(new Set(values).size).toBe(values.length);
    for (const value of values) expect(isDns1035Label(value)).toBe(true);
  });
});

describe('resolveCaseVariants', () => {
  it('keeps the lowercase spelling, else the first in code-unit order, whatever the input order', () => {
    const forward = resolveCaseVariants(['Web', 'WEB', 'web', 'Api', 'API', 'db']);
    expect(forward.kept).toEqual(['web', 'API', 'db']);
    expect([...forward.shadowed]).toEqual([
      ['Web', 'web'],
      ['WEB', 'web'],
      ['Api', 'API'],
    ]);
    const backward = resolveCaseVariants(['db', 'API', 'Api', 'web', 'WEB', 'Web']);
    expect(new Set(backward.kept)).toEqual(new Set(forward.kept));
    expect(new Map(backward.shadowed)).toEqual(new Map(forward.shadowed));
  });
});
