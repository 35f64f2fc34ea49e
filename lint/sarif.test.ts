/** `lint --format sarif`: validated against the published SARIF 2.1.0 schema (shipped by @microsoft/jest-sarif). */
import path from 'node:path';
import { Readable } from 'node:stream';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { ALL_RULES } from '../core/annotations';
import { runLint } from './command';
import { artifactLocation } from './sarif';

// The OASIS SARIF 2.1.0 JSON schema (draft-04), as published with Microsoft's SARIF tooling.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;

// The published schema's `language` pattern is not valid with the `u` flag; JSON Schema regexes are ECMA-262 without it.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const data = (p: string) => path.join('lint', 'testdata', p);
const flags = {
  format: 'sarif' as const,
  strict: false,
  consulK8sTag: 'k8s',
  warnUnsynced: false,
  k8sDefaultSync: true,
  allowK8sNamespace: ['*'],
  denyK8sNamespace: ['kube-system', 'kube-public'],
  syncClusteripServices: true,
  syncLbServicesEndpoints: false,
};

interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { rules: Array<{ id: string; defaultConfiguration: { level: string } }> } };
    invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: unknown[] }>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId?: string };
          region: { startLine: number };
        };
      }>;
    }>;
  }>;
}

async function sarif(paths: string[], stdin = ''): Promise<{ log: SarifLog; exitCode: number }> {
  const root = path.resolve(__dirname, '..');
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const { output, exitCode } = await runLint(paths, flags as never, Readable.from([stdin]));
    return { log: JSON.parse(output) as SarifLog, exitCode };
  } finally {
    process.chdir(cwd);
  }
}

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

describe('lint --format sarif', () => {
  it('validates against the SARIF 2.1.0 schema, with a located result per finding', async () => {
    const { log, exitCode } = await sarif([data('tree')]);
    expectValid(log);
    expect(log.version).toBe('2.1.0');
    const results = log.runs[0]!.results;
    expect(
      results.map((r) => [r.ruleId, r.level, r.locations[0]!.physicalLocation.region.startLine]),
    ).toEqual([
      ['service-port/out-of-range', 'error', 14],
      ['annotation/unknown-key', 'warning', 15],
      ['service-tags/empty-tag', 'warning', 7],
      ['service-tags/duplicate', 'warning', 7],
    ]);
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: 'lint/testdata/tree/nested/bad.yml',
      uriBaseId: '%SRCROOT%',
    });
    expect(results[0]!.message.text).toContain('"0x10000" is out of range');
    expect(exitCode).toBe(1);
  });

  it('declares one rule per rule id, and each result points at its rule by index', async () => {
    const { log } = await sarif([data('tree')]);
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(ALL_RULES.map((r) => r.id));
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.map((r) => r.defaultConfiguration.level)).toEqual(ALL_RULES.map((r) => r.severity));
    for (const result of log.runs[0]!.results) expect(rules[result.ruleIndex]!.id).toBe(result.ruleId);
  });

  it('reports unreadable input as a tool notification, still valid, exit 2', async () => {
    const { log, exitCode } = await sarif([data('broken.yaml'), 'no/such/file.yaml']);
    expectValid(log);
    expect(log.runs[0]!.invocations[0]!.executionSuccessful).toBe(false);
    expect(log.runs[0]!.invocations[0]!.toolExecutionNotifications).toHaveLength(2);
    expect(exitCode).toBe(2);
  });

  it('stays valid for stdin, an empty run and hostile paths', async () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    consul.hashicorp.com/service-sync: "yes"\n';
    const { log } = await sarif(['-'], manifest);
    expectValid(log);
    expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(6);
    expectValid((await sarif([data('tree/good.yaml')])).log);
    expect(artifactLocation('/abs/dir with space/#x.yaml')).toEqual({
      uri: 'file:///abs/dir%20with%20space/%23x.yaml',
    });
    expect(artifactLocation('a\\b.yaml').uri).toBe('a/b.yaml');
  });
});
