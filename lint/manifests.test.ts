import { findServices, ManifestSyntaxError } from './manifests';

describe('findServices', () => {
  it('finds Services in multi-document YAML with the line of every annotation key', () => {
    const text = [
      'apiVersion: apps/v1', // 1
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  annotations:',
      '    consul.hashicorp.com/service-port: "http"', // 6: not a Service
      '---',
      '---', // empty document
      'apiVersion: v1', // 9
      'kind: Service',
      'metadata:',
      '  name: web',
      '  annotations:',
      '    example.com/other: x',
      '    consul.hashicorp.com/service-port: "0x1F90"', // 15
      '    "consul.hashicorp.com/service-sync": "yes"', // 16
      'spec:',
      '  ports: [{name: http, port: 80}]',
      '',
    ].join('\n');
    const [located, ...rest] = findServices(text);
    expect(rest).toEqual([]);
    expect(located!.service.metadata?.name).toBe('web');
    expect(located!.documentLine).toBe(9);
    expect([...located!.keyLines]).toEqual([
      ['consul.hashicorp.com/service-port', 15],
      ['consul.hashicorp.com/service-sync', 16],
    ]);
  });

  it('expands List kinds and keeps each item on its own lines', () => {
    const text = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'a', annotations: { 'consul.hashicorp.com/service-port': 'x' } },
          },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'b', annotations: { 'consul.hashicorp.com/service-port': 'y' } },
          },
        ],
      },
      null,
      2,
    );
    const located = findServices(text);
    expect(located.map((l) => l.service.metadata?.name)).toEqual(['a', 'b']);
    const lines = text.split('\n');
    for (const l of located) {
      const line = l.keyLines.get('consul.hashicorp.com/service-port')!;
      expect(lines[line - 1]).toContain(l.service.metadata?.name === 'a' ? '"x"' : '"y"');
    }
  });

  it('expands a top-level array of objects', () => {
    const text =
      '[{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}},{"kind":"Pod"},{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"}}]';
    expect(findServices(text).map((l) => l.service.metadata?.name)).toEqual(['a', 'b']);
  });

  it('reports syntax errors with line and column', () => {
    expect(() => findServices('kind: Service\nmetadata:\n  name: [a\n')).toThrow(ManifestSyntaxError);
    let caught: unknown;
    try {
      findServices('a: 1\nb: : :\n  - c\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ManifestSyntaxError);
    expect(caught).toMatchObject({ line: 2, column: expect.any(Number) });
  });

  it('skips objects of other kinds and API groups', () => {
    expect(findServices('kind: Service\napiVersion: serving.knative.dev/v1\n---\nkind: Pod\n')).toEqual([]);
    expect(findServices('')).toEqual([]);
  });
});
