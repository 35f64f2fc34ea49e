/** `lint` end to end through the built CLI (`npm test` builds it first). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const data = (p: string) => path.join('lint', 'testdata', p);

function lint(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [cli, 'lint', ...args], { cwd: root, input, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('consul-k8s-gitops lint', () => {
  it('exits 0 and prints a summary when there are no errors', () => {
    const { code, stdout } = lint([data('tree/good.yaml')]);
    expect(stdout).toBe('0 errors, 0 warnings in 1 Service (1 file checked)\n');
    expect(code).toBe(0);
  });

  it('walks directories, skips hidden folders and other files, reports path:line: severity', () => {
    const { code, stdout, stderr } = lint([data('tree')]);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      `${data('tree/nested/bad.yml')}:14: error: consul.hashicorp.com/service-port: "0x10000" is out of range (consul-k8s would register port 65536); use a port number 1-65535 or a port name`,
      `${data('tree/nested/bad.yml')}:15: warning: consul.hashicorp.com/servce-name: is not an annotation the sync reads; did you mean consul.hashicorp.com/service-name?`,
      `${data('tree/nested/warn.json')}:7: warning: consul.hashicorp.com/service-tags: "a,,a" contains an empty tag; remove the extra comma`,
      `${data('tree/nested/warn.json')}:7: warning: consul.hashicorp.com/service-tags: tag "a" is listed more than once`,
      '1 error, 3 warnings in 3 Services (3 files checked)',
      '',
    ]);
    expect(code).toBe(1);
  });

  it('exits 0 on warnings only, and 1 with --strict', () => {
    expect(lint([data('tree/nested/warn.json')]).code).toBe(0);
    expect(lint(['--strict', data('tree/nested/warn.json')]).code).toBe(1);
  });

  it('reads stdin with -', () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    consul.hashicorp.com/service-sync: "yes"\n';
    const { code, stdout } = lint(['-'], manifest);
    expect(stdout).toContain('<stdin>:6: error: consul.hashicorp.com/service-sync: "yes" is not a boolean');
    expect(code).toBe(1);
  });

  // Finding 7: kubectl (YAML 1.1) reads an unquoted `on` as a boolean and rejects the manifest.
  it('flags an unquoted YAML 1.1 boolean as an error whose fix is "quote it"', () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    consul.hashicorp.com/service-meta-flag: on\n';
    const { code, stdout } = lint(['-'], manifest);
    expect(stdout).toContain(
      '<stdin>:6: error: consul.hashicorp.com/service-meta-flag: value must be a string, got a boolean; quote it in YAML',
    );
    expect(code).toBe(1);
  });

  // Finding 7: duplicate keys kept the last value and reported the wrong line; kubectl refuses them.
  it('exits 2 on a duplicate key, naming both lines', () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    consul.hashicorp.com/service-port: http\n    consul.hashicorp.com/service-port: "0x10000"\n';
    const { code, stdout } = lint(['-'], manifest);
    expect(stdout).toContain(
      '<stdin>:7:5: error: cannot parse: duplicate key "consul.hashicorp.com/service-port" on lines 6 and 7; kubectl refuses duplicate keys, keep one',
    );
    expect(code).toBe(2);
  });

  it('exits 2 on a syntax error, naming the file and the position, and still checks the other files', () => {
    const { code, stdout } = lint([data('broken.yaml'), data('tree/nested/bad.yml')]);
    expect(stdout).toMatch(
      new RegExp(`^${data('broken.yaml').replace(/[.]/g, '\\.')}:\\d+:\\d+: error: cannot parse: `, 'm'),
    );
    expect(stdout).toContain('service-port: "0x10000"');
    expect(stdout).not.toMatch(/\n\s+at /); // no stack trace
    expect(code).toBe(2);
  });

  it('exits 2 when a path does not exist', () => {
    const { code, stdout } = lint(['no/such/file.yaml']);
    expect(stdout).toContain('no/such/file.yaml: error: cannot read: no such file or directory');
    expect(code).toBe(2);
  });

  it('prints JSON for machines', () => {
    const { code, stdout } = lint(['--format', 'json', data('tree/nested/bad.yml')]);
    const report = JSON.parse(stdout) as {
      findings: Array<Record<string, unknown>>;
      summary: Record<string, number>;
    };
    expect(report.summary).toEqual({ files: 1, services: 1, errors: 1, warnings: 1, unreadable: 0 });
    expect(report.findings[0]).toMatchObject({
      path: data('tree/nested/bad.yml'),
      line: 14,
      severity: 'error',
      rule: 'service-port/out-of-range',
      annotation: 'consul.hashicorp.com/service-port',
      value: '0x10000',
      namespace: 'apps',
      name: 'web',
    });
    expect(code).toBe(1);
  });

  it('warns about Services the registrar settings would not sync, when asked', () => {
    const manifest =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: kube-system\n  annotations:\n    consul.hashicorp.com/service-sync: "true"\n';
    expect(lint(['-'], manifest).stdout).not.toContain('sync');
    const { stdout } = lint(['--warn-unsynced', '-'], manifest);
    expect(stdout).toContain(
      '<stdin>:7: warning: consul.hashicorp.com/service-sync: namespace "kube-system" is excluded',
    );
    expect(lint(['--warn-unsynced', '--deny-k8s-namespace', 'other', '-'], manifest).stdout).toContain(
      '0 warnings',
    );
  });
});
