/** The servers the global setup started, handed to the global teardown (same process). */
import type { RealConsul } from './servers/consul';
import type { RealKube } from './servers/kube';

interface Shared {
  consul: RealConsul;
  kube: RealKube;
}

const KEY = Symbol.for('consul-k8s-gitops.real.shared');
const holder = globalThis as unknown as Record<symbol, Shared | undefined>;

export const sharedServers = {
  set(servers: Shared): void {
    holder[KEY] = servers;
  },
  get(): Shared | undefined {
    return holder[KEY];
  },
};
