import fc from 'fast-check';
import { analyzeService } from './analyze';
import {
  ANNOTATION_PREFIX,
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
} from './keys';
import { goIntLiteral } from '../go/strconv';
import type { ServiceLike } from './types';

const keys = fc.oneof(
  fc.constantFrom(
    SERVICE_SYNC,
    SERVICE_NAME,
    SERVICE_PORT,
    SERVICE_TAGS,
    SERVICE_WEIGHT,
    `${ANNOTATION_PREFIX}synced`,
  ),
  fc.string().map((k) => SERVICE_META_PREFIX + k),
  fc.string().map((k) => ANNOTATION_PREFIX + k),
  fc.string(),
);
const values = fc.oneof(
  fc.string(),
  fc.constantFrom('true', 'false', 'yes', '80', '0x50', 'http', '-1', '1', ' a , b ,, c\\,d', ''),
  fc.integer().map(String),
  fc.string({ unit: 'grapheme', maxLength: 600 }),
);
const annotationMaps = fc.dictionary(keys, values, { maxKeys: 12 });
const specs = fc.record({
  type: fc.constantFrom(undefined, 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'Weird'),
  ports: fc.array(
    fc.record({
      name: fc.option(fc.constantFrom('http', 'grpc', ''), { nil: undefined }),
      port: fc.integer({ min: 1, max: 65535 }),
    }),
    { maxLength: 4 },
  ),
  externalIPs: fc.option(fc.array(fc.ipV4(), { maxLength: 2 }), { nil: undefined }),
});
const services = fc
  .record({ annotations: annotationMaps, spec: specs })
  .map(({ annotations, spec }): ServiceLike => ({
    metadata: { name: 'svc', namespace: 'ns', annotations },
    spec,
  }));

describe('analyzeService properties', () => {
  it('never throws, whatever the shape of the object', () => {
    fc.assert(
      fc.property(fc.anything(), (thing) => {
        analyzeService(thing as ServiceLike);
        analyzeService({
          metadata: { annotations: thing as Record<string, string> },
          spec: thing as ServiceLike['spec'],
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and independent of annotation order', () => {
    fc.assert(
      fc.property(services, (service) => {
        const reversed: ServiceLike = {
          ...service,
          metadata: {
            ...service.metadata,
            annotations: Object.fromEntries(Object.entries(service.metadata!.annotations!).reverse()),
          },
        };
        expect(analyzeService(reversed)).toEqual(analyzeService(service));
      }),
      { numRuns: 300 },
    );
  });

  it('every finding names its annotation in its message and has a known severity', () => {
    fc.assert(
      fc.property(services, (service) => {
        for (const finding of analyzeService(service).findings) {
          expect(finding.message.startsWith(`${finding.annotation}: `)).toBe(true);
          expect(['error', 'warning']).toContain(finding.severity);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('what the validator approves is what the registrar reads', () => {
    fc.assert(
      fc.property(services, (service) => {
        const { intent, findings } = analyzeService(service);
        const annotations = service.metadata!.annotations!;
        const errored = new Set(findings.filter((f) => f.severity === 'error').map((f) => f.annotation));
        if (service.spec?.type === 'ExternalName') return;
        const approved = (key: string) => typeof annotations[key] === 'string' && !errored.has(key);

        if (approved(SERVICE_SYNC))
          expect(intent.sync).toBe(
            ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(annotations[SERVICE_SYNC]!),
          );
        else expect(intent.sync).toBeUndefined();

        if (approved(SERVICE_NAME)) {
          expect(intent.name).toBe(annotations[SERVICE_NAME]!.trim());
          expect(intent.skipReason).toBeUndefined();
        } else expect(intent.name).toBeUndefined();

        if (approved(SERVICE_PORT)) {
          const value = annotations[SERVICE_PORT]!;
          // "" and "0" mean "the first port" (consul-k8s), so no port is chosen.
          // "" and every Go literal of 0 mean "the first port" (consul-k8s), so no port is chosen;
          // other Go integer literals are numbers (ParseInt base 0), anything else a name.
          const literal = goIntLiteral(value);
          if (value === '' || literal === BigInt(0) || (service.spec?.ports ?? []).length === 0)
            expect(intent.port).toBeUndefined();
          else
            expect(intent.port).toEqual(
              literal !== undefined
                ? { kind: 'number', number: Number(literal) }
                : { kind: 'name', name: value },
            );
        } else expect(intent.port).toBeUndefined();

        // Go strconv.Atoi reads "+5" and "05" as 5, like Number(); "" is skipped.
        if (approved(SERVICE_WEIGHT) && annotations[SERVICE_WEIGHT] !== '')
          expect(intent.weight).toBe(Number(annotations[SERVICE_WEIGHT]));
        else expect(intent.weight).toBeUndefined();

        for (const [key, value] of Object.entries(annotations)) {
          if (!key.startsWith(SERVICE_META_PREFIX)) continue;
          const metaKey = key.slice(SERVICE_META_PREFIX.length);
          if (approved(key)) expect(intent.meta[metaKey]).toBe(value);
          else expect(Object.prototype.hasOwnProperty.call(intent.meta, metaKey)).toBe(false);
        }
        for (const tag of intent.tags) expect(tag).not.toBe('');
        expect(new Set(intent.tags).size).toBe(intent.tags.length);
      }),
      { numRuns: 500 },
    );
  });

  it('re-analysing an approved Service gives the same intent (webhook and registrar agree)', () => {
    fc.assert(
      fc.property(services, (service) => {
        const first = analyzeService(service);
        const second = analyzeService(JSON.parse(JSON.stringify(service)) as ServiceLike);
        expect(second.intent).toEqual(first.intent);
      }),
      { numRuns: 200 },
    );
  });
});
