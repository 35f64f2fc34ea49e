import { parseCatalogFile } from './catalog-file';

describe('parseCatalogFile', () => {
  it('reads the /v1/catalog/services shape', () => {
    const snapshot = parseCatalogFile('{"web":["a","b"],"db":[]}');
    expect(snapshot.services).toEqual([
      { name: 'web', tags: ['a', 'b'], optedOut: false, fromKubernetes: 'none' },
      { name: 'db', tags: [], optedOut: false, fromKubernetes: 'none' },
    ]);
  });

  it('reads objects with Tags, Meta and Instances (Meta shared by every instance)', () => {
    const snapshot = parseCatalogFile(
      JSON.stringify({
        api: { Tags: ['v1'], Meta: { team: 'x' }, Instances: [{ Meta: { 'k8s-sync': '0' } }, {}] },
        web: {
          Meta: { 'external-source': 'kubernetes' },
          Instances: [{ Meta: { 'external-k8s-cluster-id': 'east' } }],
        },
      }),
      'catalog file',
      'west',
    );
    expect(snapshot.services).toEqual([
      { name: 'api', tags: ['v1'], optedOut: true, fromKubernetes: 'none' },
      { name: 'web', tags: [], optedOut: false, fromKubernetes: 'other-cluster' },
    ]);
  });

  it('accepts the fields in any case and as ServiceTags/ServiceMeta', () => {
    const snapshot = parseCatalogFile(
      JSON.stringify({
        api: { tags: ['v1'], meta: { team: 'x' }, instances: [{ ServiceMeta: { zone: 'a' } }] },
        web: { ServiceTags: ['k8s'], ServiceMeta: { 'external-source': 'kubernetes' } },
      }),
    );
    expect(snapshot.services).toEqual([
      { name: 'api', tags: ['v1'], optedOut: false, fromKubernetes: 'none' },
      { name: 'web', tags: ['k8s'], optedOut: false, fromKubernetes: 'this-cluster' },
    ]);
  });

  it('gives the same index for the same text and another one for other text', () => {
    expect(parseCatalogFile('{}').index).toBe(parseCatalogFile('{}').index);
    expect(parseCatalogFile('{}').index).not.toBe(parseCatalogFile('{"a":[]}').index);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"web":"tag"}', /^catalog file: web: expected an array of tags or an object/],
    ['{"web":["a",1]}', /web/],
    ['{"web":{"Tags":["a"],"Metadata":{}}}', /web: unknown field\(s\) "Metadata"/],
    ['{"web":{"Meta":{"a":1}}}', /web\.Meta\.a/],
    ['{"web":{"Tags":["a"],"tags":["b"]}}', /web: "Tags" and "tags" both give Tags; keep one/],
    ['{"web":{"meta":{"a":1}}}', /web\.Meta\.a/],
  ])('rejects %s naming the field', (text, message) => {
    expect(() => parseCatalogFile(text)).toThrow(message);
  });
});
