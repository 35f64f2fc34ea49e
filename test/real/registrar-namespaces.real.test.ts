/**
 * Finding 4 against a real OSS Consul (1.16.1 has no namespaces): the registrar asked for
 * namespaces or a partition refuses to start at once, naming the setting, and writes nothing.
 * (The Enterprise behaviour itself runs against the double: registrar/namespaces.int.test.ts.)
 */
import { createLogger } from '../../core/runtime';
import { parseRegistrarConfig } from '../../registrar/config';
import { consulFromEnv, startRegistrar } from '../../registrar/main';
import { KubeDouble } from '../support/kube';
import { startRealConsul, type RealConsul } from './servers/consul';

let consul: RealConsul;
let kube: KubeDouble;

beforeAll(async () => {
  [consul, kube] = await Promise.all([startRealConsul(), KubeDouble.start()]);
});
afterAll(async () => {
  await Promise.all([consul?.stop(), kube?.close()]);
});

test.each([
  [{ enableNamespaces: true, enableK8sNamespaceMirroring: true }, {}, '--enable-namespaces'],
  [{ partition: 'east' }, {}, '--partition'],
  [{}, { CONSUL_NAMESPACE: 'team' }, 'CONSUL_NAMESPACE'],
])('%j %j: refused at start, naming it, nothing written', async (flags, env, named) => {
  const config = parseRegistrarConfig({ clusterId: 'real-ns', httpPort: 0, ...flags }, {});
  const logger = createLogger({ level: 'silent', component: 'registrar' });
  const client = consulFromEnv(config, { ...consul.env(), ...env }, logger);
  try {
    await expect(
      startRegistrar(config, {
        logger,
        consul: client,
        kubeConfig: kube.kubeConfig({ skipTLSVerify: true }),
        serveHttp: false,
      }),
    ).rejects.toThrow(
      new RegExp(
        `^${named}: namespaces and admin partitions need Consul Enterprise, and this Consul has none \\(GET /v1/namespaces answered 404`,
      ),
    );
  } finally {
    client.destroy();
  }
  const node = await consul.api('GET', `/catalog/node/${config.nodeName}`);
  expect(node.body).toBeNull();
});
