import fc from 'fast-check';
import { renderService, renderServiceWithDumper } from './render';

const label = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?$/);
const keywordish = fc.constantFrom(
  'yes',
  'No',
  'on',
  'OFF',
  'true',
  'null',
  'y',
  '123',
  '1e3',
  '0x1f',
  'e5',
  'NaN',
);

describe('renderService template', () => {
  it('is byte-identical to js-yaml with sorted keys for any names, tags and options', () => {
    fc.assert(
      fc.property(
        fc.oneof(label, keywordish),
        fc.oneof(label, keywordish),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
        fc.oneof(label, keywordish),
        fc.option(fc.oneof(label, keywordish), { nil: undefined }),
        fc.boolean(),
        (consulName, k8sName, tags, namespace, datacenter, annotateTags) => {
          const service = { consulName, k8sName, tags };
          const options = {
            namespace,
            domain: 'consul',
            annotateTags,
            ...(datacenter ? { datacenter } : {}),
          };
          expect(renderService(service, options)).toBe(renderServiceWithDumper(service, options));
        },
      ),
      { numRuns: 500 },
    );
  });
});
