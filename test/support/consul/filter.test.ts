import { compileFilter, FilterError } from './filter';

const entry = {
  ServiceName: 'web',
  ServiceTags: ['blue', 'v1'],
  ServiceMeta: { owner: 'team-a', 'k8s-sync': 'false' },
  Node: { Node: 'n1' },
};

describe('filter subset of go-bexpr', () => {
  it.each([
    ['ServiceName == "web"', true],
    ['ServiceName != "web"', false],
    ['ServiceMeta.owner == "team-a"', true],
    ['ServiceMeta["k8s-sync"] == "false"', true],
    ['"blue" in ServiceTags', true],
    ['"red" not in ServiceTags', true],
    ['ServiceTags contains "v1"', true],
    ['ServiceMeta is not empty', true],
    ['ServiceMeta.missing is empty', true],
    ['ServiceName matches "^w.b$"', true],
    ['Node.Node == n1', true],
    ['ServiceName == "web" and "red" in ServiceTags', false],
    ['ServiceName == "x" or (ServiceMeta.owner == "team-a" and not "red" in ServiceTags)', true],
  ])('%s -> %s', (expression, expected) => {
    expect(compileFilter(expression)(entry)).toBe(expected);
  });

  it.each(['ServiceName ==', 'ServiceName = "x"', '("a" in Tags', 'ServiceName matches "("', '"x" Tags'])(
    'rejects %j with a reason',
    (expression) => {
      expect(() => compileFilter(expression)).toThrow(FilterError);
    },
  );
});
