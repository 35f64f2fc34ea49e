import fc from 'fast-check';
import yaml from 'js-yaml';
import { renderService, renderServiceWithDumper, serviceManifest } from './render';

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

const awkwardText = fc.string({
  unit: fc.constantFrom(
    'a',
    'B',
    ' ',
    '\n',
    '\t',
    '\r',
    '#',
    ':',
    '-',
    '"',
    "'",
    '\\',
    ',',
    '|',
    'é',
    '\u2028',
  ),
  maxLength: 12,
});

describe('renderService template', () => {
  it('is byte-identical to js-yaml with sorted keys, and reads back as the manifest, for any names, tags and options', () => {
    fc.assert(
      fc.property(
        fc.oneof(label, keywordish),
        fc.oneof(label, keywordish),
        // Consul tags can hold anything: line breaks, YAML indicators, quotes, spaces.
        fc.array(fc.oneof(fc.string({ maxLength: 12 }), awkwardText), { maxLength: 4 }),
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
          const rendered = renderService(service, options);
          expect(rendered).toBe(renderServiceWithDumper(service, options));
          expect(yaml.load(rendered)).toEqual(serviceManifest(service, options));
        },
      ),
      { numRuns: 500 },
    );
  });
});
