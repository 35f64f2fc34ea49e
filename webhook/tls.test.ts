import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../core/runtime';
import { CertificateReloader, loadKeyPair } from './tls';
import { createTestCa } from '../test/support/pki';
import { ecCertificate } from '../test/support/webhook/ec-certificate';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-tls-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ca = createTestCa();
const DAY = 86_400_000;

let counter = 0;
function write(pair: { certPem: string; keyPem: string }): { certFile: string; keyFile: string } {
  const dir = path.join(tmp, `pair-${++counter}`);
  fs.mkdirSync(dir);
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  fs.writeFileSync(certFile, pair.certPem);
  fs.writeFileSync(keyFile, pair.keyPem);
  return { certFile, keyFile };
}

const rsa = () => ca.issue({ commonName: 'webhook', dnsNames: ['localhost'] });

// Finding 3: an EC certificate with an RSA key loaded ("serving certificate reloaded"), then every
// handshake failed; an expired certificate replaced a valid one.
describe('loadKeyPair refuses pairs that cannot serve', () => {
  test('an EC certificate with an RSA key: names the key file and both key types', () => {
    const files = write({ certPem: ecCertificate().certPem, keyPem: rsa().keyPem });
    expect(() => loadKeyPair(files)).toThrow(
      `--tls-private-key-file ${files.keyFile}: does not match the certificate in --tls-cert-file ${files.certFile} (rsa key, ec certificate)`,
    );
  });

  test('an RSA certificate with another RSA key', () => {
    const files = write({ certPem: rsa().certPem, keyPem: rsa().keyPem });
    expect(() => loadKeyPair(files)).toThrow(
      /does not match the certificate .* \(rsa key, rsa certificate\)$/,
    );
  });

  test('an expired certificate: names the file and when it expired', () => {
    const notAfter = new Date(Math.floor((Date.now() - DAY) / 1000) * 1000);
    const files = write(
      ca.issue({ commonName: 'webhook', notBefore: new Date(Date.now() - 10 * DAY), notAfter }),
    );
    expect(() => loadKeyPair(files)).toThrow(
      `--tls-cert-file ${files.certFile}: certificate expired at ${notAfter.toISOString()}`,
    );
  });

  test('a certificate not valid yet: names the file and from when', () => {
    const notBefore = new Date(Math.floor((Date.now() + DAY) / 1000) * 1000);
    const files = write(
      ca.issue({ commonName: 'webhook', notBefore, notAfter: new Date(Date.now() + 10 * DAY) }),
    );
    expect(() => loadKeyPair(files)).toThrow(
      `--tls-cert-file ${files.certFile}: certificate not valid before ${notBefore.toISOString()}`,
    );
  });

  test('a matching EC pair and a matching RSA pair load', () => {
    expect(loadKeyPair(write(ecCertificate())).notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(loadKeyPair(write(rsa())).notAfter.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('CertificateReloader keeps the old pair when the new one cannot serve', () => {
  test.each([
    ['an EC certificate with an RSA key', () => ({ certPem: ecCertificate().certPem, keyPem: rsa().keyPem })],
    [
      'an expired certificate',
      () =>
        ca.issue({
          commonName: 'w',
          notBefore: new Date(Date.now() - 9 * DAY),
          notAfter: new Date(Date.now() - DAY),
        }),
    ],
    [
      'a certificate not valid yet',
      () =>
        ca.issue({
          commonName: 'w',
          notBefore: new Date(Date.now() + DAY),
          notAfter: new Date(Date.now() + 9 * DAY),
        }),
    ],
  ])('%s: not installed, an error logged, the failure reported', (_name, bad) => {
    const files = write(rsa());
    const lines: Array<{ level: string; msg: string; reason: string }> = [];
    const logger = createLogger({
      level: 'info',
      component: 'webhook',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string; reason: string });
          done();
        },
      }),
    });
    const installed: unknown[] = [];
    const failures: string[] = [];
    const reloader = new CertificateReloader(loadKeyPair(files), {
      ...files,
      intervalMs: 60_000,
      logger,
      onReload: (pair) => installed.push(pair),
      onFailure: (message) => failures.push(message),
    });
    const next = bad();
    fs.writeFileSync(files.certFile, next.certPem);
    fs.writeFileSync(files.keyFile, next.keyPem);
    expect(reloader.check()).toBe(false);
    expect(installed).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(files.certFile);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'serving certificate not reloaded; keeping the current one',
      }),
    ]);
    // A good pair afterwards is installed.
    const good = rsa();
    fs.writeFileSync(files.certFile, good.certPem);
    fs.writeFileSync(files.keyFile, good.keyPem);
    expect(reloader.check()).toBe(true);
    expect(installed).toHaveLength(1);
  });
});
