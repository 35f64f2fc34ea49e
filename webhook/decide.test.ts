/**
 * Large bodies are decided from the members the review reads (REVIEWED_FIELDS): for any review,
 * also ones with members of the wrong type or extra members anywhere, the answer must be the one
 * the whole body gets. If the review starts reading another member, this fails until it is kept.
 */
import fc from 'fast-check';
import {
  ANNOTATION_PREFIX,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
} from '../core/annotations';
import { admissionReview, hostileReview } from '../test/support/webhook/reviews';
import { decide, decideLarge } from './decide';
import type { ReviewOptions } from './review';

const annotations = fc.dictionary(
  fc.oneof(
    fc.constantFrom(SERVICE_SYNC, SERVICE_PORT, SERVICE_TAGS, SERVICE_WEIGHT),
    fc.string({ maxLength: 20 }).map((k) => ANNOTATION_PREFIX + k),
  ),
  fc.oneof(fc.constantFrom('true', '80', 'http', 'a,a', '0x1F90', '', '5'), fc.string({ maxLength: 30 })),
  { maxKeys: 5 },
);
const operations = fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'PATCH');
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  // Values that change the decision where they are read.
  fc.constantFrom(
    'ClusterIP',
    'LoadBalancer',
    'NodePort',
    'ExternalName',
    ['1.2.3.4'],
    [{ name: 'http', port: 80 }],
  ),
);

/** Paths of the review whose value a case may replace with anything, read or not. */
const PATHS = [
  ['request'],
  ['request', 'uid'],
  ['request', 'kind'],
  ['request', 'operation'],
  ['request', 'subResource'],
  ['request', 'name'],
  ['request', 'namespace'],
  ['request', 'object', 'metadata', 'name'],
  ['request', 'object', 'metadata', 'generateName'],
  ['request', 'object'],
  ['request', 'object', 'kind'],
  ['request', 'object', 'metadata'],
  ['request', 'object', 'metadata', 'annotations'],
  ['request', 'object', 'metadata', 'namespace'],
  ['request', 'object', 'spec'],
  ['request', 'object', 'spec', 'ports'],
  ['request', 'object', 'spec', 'type'],
  ['request', 'object', 'spec', 'externalIPs'],
  ['request', 'oldObject', 'metadata', 'annotations'],
  ['request', 'object', 'status'],
  ['request', 'userInfo'],
  ['apiVersion'],
] as const;

function setAt(doc: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at: unknown = doc;
  for (const key of path.slice(0, -1)) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return;
    at = (at as Record<string, unknown>)[key];
  }
  if (typeof at === 'object' && at !== null && !Array.isArray(at)) {
    (at as Record<string, unknown>)[path.at(-1)!] = value;
  }
}

const cases = fc.record({
  annotations,
  oldAnnotations: annotations,
  operation: operations,
  mode: fc.constantFrom<ReviewOptions['mode']>('enforce', 'warn'),
  syncSettings: fc.boolean(),
  weighted: fc.boolean(),
  replacements: fc.array(fc.tuple(fc.constantFrom(...PATHS), anyJson), { maxLength: 4 }),
  pretty: fc.boolean(),
});

test('a large body gets the answer the whole body gets, for any review', () => {
  fc.assert(
    fc.property(
      cases,
      ({ annotations, oldAnnotations, operation, mode, syncSettings, replacements, pretty }) => {
        const review = admissionReview({ annotations, oldAnnotations, operation: operation as 'CREATE' });
        for (const [path, value] of replacements) setAt(review, path, value);
        const text = JSON.stringify(review, null, pretty ? 1 : undefined);
        const options: ReviewOptions = {
          mode,
          analyze: syncSettings
            ? {
                syncSettings: {
                  defaultSync: false,
                  allowNamespaces: ['*'],
                  denyNamespaces: ['kube-system'],
                  syncClusterIPServices: false,
                  syncLoadBalancerEndpoints: false,
                },
              }
            : {},
        };
        expect(decideLarge(Buffer.from(text), options)).toEqual(decide(text, options));
      },
    ),
    { numRuns: 1000 },
  );
});

test('not JSON, not an object, or cut short: the same 400 either way', () => {
  for (const text of ['', 'nope', '[]', '"x"', '{"apiVersion":', '{} {}', '\ufeff{}']) {
    expect(decideLarge(Buffer.from(text), { mode: 'enforce' })).toEqual(decide(text, { mode: 'enforce' }));
  }
});

test('the hostile body of issue 10 (1.36 M empty objects in spec) is decided without building them', () => {
  const body = hostileReview('hostile');
  const before = process.memoryUsage().heapUsed;
  const decision = decideLarge(body, { mode: 'enforce' });
  expect(decision).toMatchObject({ ok: true, review: { uid: 'hostile', verdict: 'allowed' } });
  // Parsing it whole takes ~130 MB of heap; skipped, the objects are never allocated.
  expect(process.memoryUsage().heapUsed - before).toBeLessThan(30 * 1024 * 1024);
});
