/**
 * Global setup of the real tier: prints the versions under test, then starts one real Consul and
 * one real kube-apiserver for the contract suites in test/contract, which choose their target
 * from the environment (CONSUL_HTTP_ADDR; KUBECONFIG with K8S_CONTRACT_REAL=1). Suites of the
 * real tier itself start fresh servers of their own.
 */
import { execFileSync } from 'node:child_process';
import { realBinary } from './servers/process';
import { startRealConsul } from './servers/consul';
import { startRealKube } from './servers/kube';
import { sharedServers } from './shared';

function versionLine(name: string, args: string[]): string {
  const out = execFileSync(realBinary(name), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n')[0] ?? '';
}

export default async function globalSetup(): Promise<void> {
  const versions = [
    `consul: ${versionLine('consul', ['version'])}`,
    `etcd: ${versionLine('etcd', ['--version'])}`,
    `kube-apiserver: ${versionLine('kube-apiserver', ['--version'])}`,
    `kubectl: ${versionLine('kubectl', ['version', '--client'])}`,
    `kustomize: ${versionLine('kustomize', ['version'])}`,
    `helm: ${versionLine('helm', ['version', '--short'])}`,
  ];
  console.log(`\nreal tier, against:\n  ${versions.join('\n  ')}\n`);

  const consul = await startRealConsul();
  const kube = await startRealKube();
  sharedServers.set({ consul, kube });
  process.env.CONSUL_HTTP_ADDR = consul.address;
  process.env.KUBECONFIG = kube.adminKubeconfig;
  process.env.K8S_CONTRACT_REAL = '1';
}
