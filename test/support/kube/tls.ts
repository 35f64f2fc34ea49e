import { createTestCa } from '../pki';

/**
 * A throw-away CA and a server certificate for 127.0.0.1/localhost, made at start-up so the HTTPS
 * double can be verified the way a real cluster is (kubeconfig `certificate-authority-data`).
 */
export interface TestCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function makeTestCertificates(): TestCertificates {
  const ca = createTestCa('kube-double test CA');
  const { certPem, keyPem } = ca.issue({
    commonName: 'kube-apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  return { caPem: ca.certPem, certPem, keyPem };
}
