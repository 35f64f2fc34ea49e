/** An HTTPS client for tests and benchmarks that verifies the webhook like the API server does. */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Serial number (hex, upper case) of the certificate the server presented. */
  serial: string;
}

export interface PostOptions {
  port: number;
  ca: string;
  path?: string;
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string | number>;
  /** A keep-alive agent to reuse connections; a fresh connection when omitted. */
  agent?: https.Agent;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  timeoutMs?: number;
}

export function request(options: PostOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/validate',
        method: options.method ?? 'POST',
        ca: options.ca,
        servername: 'localhost',
        agent: options.agent ?? false,
        headers: { 'content-type': 'application/json', ...options.headers },
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate?.()?.serialNumber ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            serial,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
