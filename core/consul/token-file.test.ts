import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../test/support/wait';
import { clientToken, createConsulClient, type ConsulClient } from './client';
import { consulConfigFromEnv } from './config';
import { watchTokenFile } from './token-file';

/** Finding 5 of issue 11: a rotated CONSUL_HTTP_TOKEN_FILE is used without a restart. */
describe('watchTokenFile', () => {
  let dir: string;
  let file: string;
  let consul: ConsulClient;
  let stop: (() => void) | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-file-'));
    file = join(dir, 'token');
    writeFileSync(file, 'first-secret\n');
    consul = createConsulClient(consulConfigFromEnv({ CONSUL_HTTP_TOKEN_FILE: file }));
  });
  /** fs.watchFile takes its first stat after starting: a change before that is its baseline. */
  const watcherStarted = () => new Promise((resolve) => setTimeout(resolve, 100));
  afterEach(() => {
    stop?.();
    consul.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a file swapped in under the same path (a Secret volume update) replaces the token', async () => {
    const rotated: number[] = [];
    stop = watchTokenFile({ consul, path: file, intervalMs: 20, onRotated: () => rotated.push(1) });
    expect(clientToken(consul)).toBe('first-secret');
    await watcherStarted();
    writeFileSync(`${file}.new`, 'second-secret\n');
    renameSync(`${file}.new`, file);
    await eventually(() => clientToken(consul) === 'second-secret');
    expect(rotated).toHaveLength(1);
  });

  test('an empty or vanished file keeps the previous token and says why, without a token', async () => {
    const errors: string[] = [];
    stop = watchTokenFile({ consul, path: file, intervalMs: 20, onError: (reason) => errors.push(reason) });
    await watcherStarted();
    writeFileSync(file, '\n');
    await eventually(() => errors.length === 1);
    rmSync(file);
    await eventually(() => errors.length === 2);
    expect(errors).toEqual([
      'CONSUL_HTTP_TOKEN_FILE: the file holds no single-line token',
      `CONSUL_HTTP_TOKEN_FILE: cannot read "${file}" (ENOENT)`,
    ]);
    expect(clientToken(consul)).toBe('first-secret');
  });

  test('the returned function stops following the file', async () => {
    stop = watchTokenFile({ consul, path: file, intervalMs: 20 });
    stop();
    writeFileSync(file, 'later-secret\n');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(clientToken(consul)).toBe('first-secret');
  });
});
