/**
 * Serving certificate loading and hot reload. cert-manager and the kubelet replace Secret files by
 * swapping a `..data` symlink, which file watchers often miss: the directory is watched (fast path)
 * and the files are re-read on a timer (safety net). A new pair is used only when it loads as a
 * valid, matching certificate and key; a half-written rotation keeps the old one until it is whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import type { Logger } from 'pino';

export const MIN_TLS_VERSION: tls.SecureVersion = 'TLSv1.2';

interface KeyPair {
  cert: Buffer;
  key: Buffer;
  /** notAfter of the (first) certificate, as a Date. */
  notAfter: Date;
}

export interface KeyPairFiles {
  certFile: string;
  keyFile: string;
}

function readFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`${flag} ${file}: cannot read (${code})`);
  }
}

/** Reads and checks a certificate/key pair; the error names the flag, the file and the reason. */
export function loadKeyPair(files: KeyPairFiles, now = new Date()): KeyPair {
  return checkKeyPair(
    files,
    readFile(files.certFile, '--tls-cert-file'),
    readFile(files.keyFile, '--tls-private-key-file'),
    now,
  );
}

/**
 * A pair is used only when the key belongs to the certificate and the certificate is valid now.
 * OpenSSL does not refuse a mismatched pair when the context is built (an EC certificate with an
 * RSA key loads, then every handshake fails), so the key is checked against the certificate here.
 */
function checkKeyPair(files: KeyPairFiles, cert: Buffer, key: Buffer, now = new Date()): KeyPair {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`--tls-cert-file ${files.certFile}: not a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`--tls-private-key-file ${files.keyFile}: not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    const keyType = privateKey.asymmetricKeyType ?? 'unknown';
    const certType = x509.publicKey.asymmetricKeyType ?? 'unknown';
    throw new Error(
      `--tls-private-key-file ${files.keyFile}: does not match the certificate in --tls-cert-file ${files.certFile} (${keyType} key, ${certType} certificate)`,
    );
  }
  const notBefore = new Date(x509.validFrom);
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new Error(`--tls-cert-file ${files.certFile}: certificate expired at ${notAfter.toISOString()}`);
  }
  if (notBefore.getTime() > now.getTime()) {
    throw new Error(
      `--tls-cert-file ${files.certFile}: certificate not valid before ${notBefore.toISOString()}`,
    );
  }
  try {
    tls.createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/i, '');
    throw new Error(
      `--tls-private-key-file ${files.keyFile}: does not load with --tls-cert-file ${files.certFile} (${reason})`,
    );
  }
  return { cert, key, notAfter };
}

interface CertificateReloaderOptions extends KeyPairFiles {
  /** Period of the re-read safety net, in ms. */
  intervalMs: number;
  logger: Logger;
  /** Called with each new valid pair (different from the one in use). */
  onReload: (pair: KeyPair) => void;
  onFailure?: (message: string) => void;
}

export class CertificateReloader {
  private current: KeyPair;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly watchers: fs.FSWatcher[] = [];
  private lastFailure: string | undefined;

  constructor(
    initial: KeyPair,
    private readonly options: CertificateReloaderOptions,
  ) {
    this.current = initial;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
    const dirs = new Set([path.dirname(this.options.certFile), path.dirname(this.options.keyFile)]);
    for (const dir of dirs) {
      try {
        const watcher = fs.watch(dir, () => this.scheduleCheck());
        watcher.on('error', () => undefined); // the timer still covers this directory
        watcher.unref();
        this.watchers.push(watcher);
      } catch {
        this.options.logger.debug({ dir }, 'cannot watch certificate directory; relying on polling');
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  /** Re-reads the files now; returns true when a new pair was installed. */
  check(): boolean {
    let pair: KeyPair;
    try {
      const cert = readFile(this.options.certFile, '--tls-cert-file');
      const key = readFile(this.options.keyFile, '--tls-private-key-file');
      // Unchanged files (the usual case): skip the parsing, which costs milliseconds of CPU.
      if (cert.equals(this.current.cert) && key.equals(this.current.key)) {
        this.lastFailure = undefined;
        return false;
      }
      pair = checkKeyPair(this.options, cert, key);
    } catch (err) {
      const message = (err as Error).message;
      // A rotation in progress fails once or twice; report each distinct failure once.
      if (message !== this.lastFailure) {
        this.lastFailure = message;
        this.options.logger.error(
          { reason: message },
          'serving certificate not reloaded; keeping the current one',
        );
        this.options.onFailure?.(message);
      }
      return false;
    }
    this.lastFailure = undefined;
    this.current = pair;
    this.options.onReload(pair);
    this.options.logger.info({ notAfter: pair.notAfter.toISOString() }, 'serving certificate reloaded');
    return true;
  }

  private scheduleCheck(): void {
    // Several events arrive per rotation (files, symlinks): check once they settle.
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.check(), 100);
    this.debounce.unref();
  }
}
