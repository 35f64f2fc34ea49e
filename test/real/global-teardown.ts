import { sharedServers } from './shared';

export default async function globalTeardown(): Promise<void> {
  const servers = sharedServers.get();
  await servers?.consul.stop();
  await servers?.kube.stop();
}
