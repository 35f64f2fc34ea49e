import { type ConsulClient, consulConfigFromEnv, createConsulClient, registerCatalog } from '../core/consul';
import { startConsulDouble, type ConsulDouble } from '../test/support/consul';
import { CatalogMirror, readActualState } from './consul-state';

const NODE = 'k8s-sync';
let double: ConsulDouble;
let consul: ConsulClient;

beforeAll(async () => {
  double = await startConsulDouble();
  consul = createConsulClient(consulConfigFromEnv(double.env()));
});
afterAll(async () => {
  consul.destroy();
  await double.stop();
});

async function register(id: string, port: number, status: 'passing' | 'critical' = 'passing'): Promise<void> {
  await registerCatalog(consul, {
    Node: NODE,
    Address: '127.0.0.1',
    Service: { ID: id, Service: 'web', Address: '10.0.0.1', Port: port, Tags: ['k8s'], Meta: { a: 'b' } },
    Check: { CheckID: `${id}-ready`, Name: 'Kubernetes Readiness Check', ServiceID: id, Status: status },
  });
}

test('a full read returns the entries the mirror holds when Consul says the same, new ones where it changed', async () => {
  await register('web-1', 80);
  await register('web-2', 80);
  const mirror = new CatalogMirror();
  const first = await readActualState(consul, NODE);
  mirror.replace(first);

  await register('web-2', 81, 'critical');
  const second = await readActualState(consul, NODE, undefined, undefined, mirror);
  const byId = <T extends { id: string }>(items: readonly T[], id: string) =>
    items.find((item) => item.id === id);

  expect(byId(second.instances, 'web-1')).toBe(byId(first.instances, 'web-1'));
  expect(byId(second.checks, 'web-1-ready')).toBe(byId(first.checks, 'web-1-ready'));
  // Changed in Consul: what was read, not the held copy.
  expect(byId(second.instances, 'web-2')).not.toBe(byId(first.instances, 'web-2'));
  expect(byId(second.instances, 'web-2')?.port).toBe(81);
  expect(byId(second.checks, 'web-2-ready')).not.toBe(byId(first.checks, 'web-2-ready'));
  expect(byId(second.checks, 'web-2-ready')?.status).toBe('critical');
  // The same content as a read without reuse.
  expect(second).toEqual(await readActualState(consul, NODE));
});
