import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeDouble } from '../../test/support/kube';
import { KubeConfigError, loadKubeConfig } from './config';

let double: KubeDouble;
let dir: string;
const savedEnv = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };

beforeAll(async () => {
  double = await KubeDouble.start({ tls: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
});

afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

afterAll(async () => {
  await double.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  test('--kubeconfig: uses exactly that file', () => {
    const file = path.join(dir, 'explicit');
    double.writeKubeconfig(file);
    process.env.KUBECONFIG = path.join(dir, 'does-not-exist');
    const kc = loadKubeConfig({ kubeconfig: file });
    expect(kc.getCurrentCluster()?.server).toBe(double.url);
  });

  test('--kubeconfig pointing nowhere: says which path and why', () => {
    const missing = path.join(dir, 'missing');
    expect(() => loadKubeConfig({ kubeconfig: missing })).toThrow(
      new KubeConfigError(`--kubeconfig ${missing}: cannot read the file (ENOENT)`),
    );
    expect(() => loadKubeConfig({ kubeconfig: ' ' })).toThrow('--kubeconfig: the path is empty');
  });

  test('a broken file: the reason and line, never the file content (it holds tokens)', () => {
    const file = path.join(dir, 'broken');
    fs.writeFileSync(file, 'users:\n- name: u\n  user:\n    token: s3cr3t-token\n   bad: [indent\n');
    let message = '';
    try {
      loadKubeConfig({ kubeconfig: file });
    } catch (error) {
      expect(error).toBeInstanceOf(KubeConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^--kubeconfig ${file}: not valid YAML: .+ at line \\d+$`));
    expect(message).not.toContain('s3cr3t');
  });

  test('$KUBECONFIG is used when no path is given', () => {
    const file = path.join(dir, 'from-env');
    double.writeKubeconfig(file);
    process.env.KUBECONFIG = file;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe(double.url);
  });

  test('~/.kube/config is used when $KUBECONFIG is unset', () => {
    const home = fs.mkdtempSync(path.join(dir, 'home-'));
    fs.mkdirSync(path.join(home, '.kube'));
    double.writeKubeconfig(path.join(home, '.kube', 'config'));
    delete process.env.KUBECONFIG;
    process.env.HOME = home;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe(double.url);
  });

  test("nothing anywhere: a clear error instead of client-node's silent http://localhost:8080", () => {
    delete process.env.KUBECONFIG;
    process.env.HOME = fs.mkdtempSync(path.join(dir, 'empty-home-'));
    expect(() => loadKubeConfig()).toThrow(
      /^no Kubernetes configuration found: pass --kubeconfig, set \$KUBECONFIG/,
    );
  });

  test('--context: selects a context, or lists the known ones', () => {
    const file = path.join(dir, 'ctx');
    double.writeKubeconfig(file);
    expect(loadKubeConfig({ kubeconfig: file, context: 'loaded-context' }).getCurrentContext()).toBe(
      'loaded-context',
    );
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'prod' })).toThrow(
      '--context prod: no such context (known: loaded-context)',
    );
  });
});
