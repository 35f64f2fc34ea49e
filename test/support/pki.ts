/**
 * A throwaway certificate authority for tests and benchmarks (never used by the product): keys are
 * made by Node's crypto (fast, native), certificates are built and signed with node-forge.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Hex serial number, to tell certificates apart on the client side. */
  serial: string;
}

interface IssueOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  validDays?: number;
  /** Also valid as a TLS client certificate (mutual TLS). */
  clientAuth?: boolean;
  /** Validity window; default: from a minute ago for `validDays`. */
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestCa {
  certPem: string;
  issue(options: IssueOptions): IssuedCertificate;
}

function newKeyPair(): {
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
  keyPem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    forgePrivate: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    forgePublic: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    keyPem: privateKey,
  };
}

function newCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial: first byte below 0x80.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + validDays * 86_400_000);
  return cert;
}

export function createTestCa(commonName = 'consul-k8s-gitops test CA'): TestCa {
  const caKeys = newKeyPair();
  const caCert = newCertificate(caKeys.forgePublic, 30);
  const caSubject = [{ name: 'commonName', value: commonName }];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKeys.forgePrivate, forge.md.sha256.create());

  return {
    certPem: forge.pki.certificateToPem(caCert),
    issue(options: IssueOptions): IssuedCertificate {
      const keys = newKeyPair();
      const cert = newCertificate(keys.forgePublic, options.validDays ?? 7);
      if (options.notBefore) cert.validity.notBefore = options.notBefore;
      if (options.notAfter) cert.validity.notAfter = options.notAfter;
      cert.setSubject([{ name: 'commonName', value: options.commonName }]);
      cert.setIssuer(caSubject);
      const altNames = [
        ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
        ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
      ];
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: options.clientAuth ?? false },
        { name: 'subjectAltName', altNames },
      ]);
      cert.sign(caKeys.forgePrivate, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem, serial: cert.serialNumber };
    },
  };
}
