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
      '    consul.hashicorp.com/service-port: "0x10000"', // 15
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

  // kubectl decodes YAML with sigs.k8s.io/yaml over go-yaml v2 (YAML 1.1), whose resolver reads
  // y/Y/yes/Yes/YES/on/On/ON (and n/no/off…) as booleans; js-yaml's 1.2 default read them as strings.
  it.each(['on', 'off', 'yes', 'no', 'y', 'n', 'Y', 'N', 'Yes', 'NO', 'On', 'OFF', 'true', 'False'])(
    'reads unquoted %s as kubectl does (go-yaml v2, YAML 1.1): a boolean, not a string',
    (word) => {
      const [located] = findServices(
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    consul.hashicorp.com/service-meta-flag: ${word}\n`,
      );
      expect(typeof located!.service.metadata!.annotations!['consul.hashicorp.com/service-meta-flag']).toBe(
        'boolean',
      );
    },
  );

  it('keeps quoted words and timestamps as strings (go-yaml v2 leaves timestamps strings)', () => {
    const [located] = findServices(
      'kind: Service\nmetadata:\n  annotations:\n    a: "on"\n    b: 2026-01-10\n    c: onward\n',
    );
    expect(located!.service.metadata!.annotations).toEqual({ a: 'on', b: '2026-01-10', c: 'onward' });
  });

  // kubectl refuses a manifest with a duplicate key (strict decoding); js-yaml in JSON mode kept
  // the last value and the line of the first.
  it('refuses a duplicate annotation key, naming both lines', () => {
    const text = [
      'apiVersion: v1', // 1
      'kind: Service',
      'metadata:',
      '  name: web',
      '  annotations:',
      '    consul.hashicorp.com/service-port: "http"', // 6
      '    example.com/x: y',
      '    consul.hashicorp.com/service-port: "0x10000"', // 8
    ].join('\n');
    let caught: unknown;
    try {
      findServices(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ManifestSyntaxError);
    expect(caught).toMatchObject({
      line: 8,
      column: 5,
      reason:
        'duplicate key "consul.hashicorp.com/service-port" on lines 6 and 8; kubectl refuses duplicate keys, keep one',
    });
  });

  it('names both lines for duplicates in sequences, quoted keys and pretty JSON', () => {
    const reason = (text: string): string => {
      try {
        findServices(text);
      } catch (err) {
        return (err as ManifestSyntaxError).reason;
      }
      return 'no error';
    };
    expect(reason('items:\n  - name: a\n    port: 1\n    name: b\n')).toContain('"name" on lines 2 and 4');
    expect(reason('a:\n  "k": 1\n  \'k\': 2\n')).toContain('"k" on lines 2 and 3');
    expect(reason('{\n  "kind": "Service",\n  "kind": "Pod"\n}\n')).toContain('"kind" on lines 2 and 3');
    expect(reason('{a: 1, a: 2}\n')).toContain('"a" on lines 1 and 1');
  });

  it('finds the line of every key of a large annotation set in linear time', () => {
    const keys = Array.from({ length: 20000 }, (_, i) => `    consul.hashicorp.com/service-meta-k${i}: "v"`);
    const text = `kind: Service\nmetadata:\n  annotations:\n${keys.join('\n')}\n`;
    const started = Date.now();
    const [located] = findServices(text);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(located!.keyLines.get('consul.hashicorp.com/service-meta-k19999')).toBe(20003);
  });
});
