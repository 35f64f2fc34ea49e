/** The double's chunked lists, as client-node sees them (limit / continue / 410 / 400). */
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeDouble } from './index';

let double: KubeDouble;
beforeAll(async () => {
  double = await KubeDouble.start();
  for (const ns of ['b', 'a'])
    for (const name of ['z', 'y', 'x'])
      double.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: { ports: [{ port: 80 }] },
      });
});
afterAll(() => double.close());

describe('kube double: chunked lists', () => {
  it('pages in key order with continue and remainingItemCount; every page has the first page’s resourceVersion', async () => {
    const core = double.kubeConfig().makeApiClient(CoreV1Api);
    const first = await core.listServiceForAllNamespaces({ limit: 4 });
    expect(first.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual([
      'a/x',
      'a/y',
      'a/z',
      'b/x',
    ]);
    expect(first.metadata?.remainingItemCount).toBe(2);
    const second = await core.listServiceForAllNamespaces({
      limit: 4,
      _continue: first.metadata!._continue!,
    });
    expect(second.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual(['b/y', 'b/z']);
    expect(second.metadata?._continue).toBeUndefined();
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const ns = await core.listNamespacedService({ namespace: 'b', limit: 2 });
    expect(ns.items.map((s) => s.metadata?.name)).toEqual(['x', 'y']);
  });

  it('answers 410 Expired for a token older than the retained history, 400 for a foreign token', async () => {
    const core = double.kubeConfig().makeApiClient(CoreV1Api);
    const first = await core.listServiceForAllNamespaces({ limit: 1 });
    double.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'w', namespace: 'c' },
      spec: { ports: [{ port: 80 }] },
    });
    double.expireHistory();
    await expect(
      core.listServiceForAllNamespaces({ limit: 1, _continue: first.metadata!._continue! }),
    ).rejects.toMatchObject({ code: 410 });
    await expect(core.listServiceForAllNamespaces({ limit: 1, _continue: 'garbage' })).rejects.toMatchObject({
      code: 400,
    });
  });

  it('serves PolicyReports and refuses a result outside the CRD’s enum', () => {
    const report = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'r', namespace: 'a' },
    };
    expect(() => double.create({ ...report, results: [{ result: 'failed' }] })).toThrow(
      /results\[0\]\.result: Unsupported value/,
    );
    double.create({ ...report, results: [{ result: 'fail' }], summary: { fail: 1 } });
    expect(double.get('policyreports', 'a', 'r')).toMatchObject({ summary: { fail: 1 } });
  });
});
