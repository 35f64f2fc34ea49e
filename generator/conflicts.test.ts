import { clusterConflict, writtenByConsulK8s, type ClusterService } from './conflicts';

/** A Service exactly as consul-k8s's to-k8s sink creates it (control-plane/catalog/to-k8s/sink.go). */
const consulK8s = (name: string, externalName: string): ClusterService => ({
  name,
  labels: { consul: 'true' },
  type: 'ExternalName',
  externalName,
});
const adopt = { prefix: '', domain: 'consul' };

describe('writtenByConsulK8s', () => {
  it('recognises what consul-k8s writes: label consul=true, ExternalName <name>.service.<domain>', () => {
    expect(writtenByConsulK8s(consulK8s('web', 'web.service.consul'), adopt)).toBe(true);
    // consul-k8s puts -consul-domain in as given: "consul." leaves the root's dot.
    expect(writtenByConsulK8s(consulK8s('web', 'web.service.consul.'), adopt)).toBe(true);
    expect(
      writtenByConsulK8s(consulK8s('c-web', 'web.service.consul'), { prefix: 'c-', domain: 'consul' }),
    ).toBe(true);
  });

  it.each([
    ['no consul label', { ...consulK8s('web', 'web.service.consul'), labels: {} }],
    ['consul label not "true"', { ...consulK8s('web', 'web.service.consul'), labels: { consul: 'yes' } }],
    ['not an ExternalName', { ...consulK8s('web', 'web.service.consul'), type: 'ClusterIP' }],
    ['another target', consulK8s('web', 'api.service.consul')],
    ['another domain', consulK8s('web', 'web.service.example')],
    ['a datacenter consul-k8s never writes', consulK8s('web', 'web.service.dc1.consul')],
    ['an outside name', consulK8s('web', 'web.example.com')],
  ])('does not take a Service with %s', (_what, service) => {
    expect(writtenByConsulK8s(service, adopt)).toBe(false);
  });
});

describe('clusterConflict', () => {
  it('without --adopt-consul-k8s a consul-k8s Service is a conflict (finding 7, before)', () => {
    expect(clusterConflict(consulK8s('web', 'web.service.consul'), 'apps')).toBe(
      'in the cluster (namespace apps) without label app.kubernetes.io/managed-by=consul-k8s-gitops',
    );
  });

  it('with it, consul-k8s Services are ours to replace; others labelled consul=true say why not', () => {
    expect(clusterConflict(consulK8s('web', 'web.service.consul'), 'apps', adopt)).toBeUndefined();
    expect(clusterConflict(consulK8s('web', 'web.service.example'), 'apps', adopt)).toMatch(
      /labelled consul=true but not adopted: .*externalName <consul name>\.service\.consul\)$/,
    );
    expect(clusterConflict({ name: 'db', labels: {} }, 'apps', adopt)).toMatch(/^in the cluster/);
    const ours = { name: 'api', labels: { 'app.kubernetes.io/managed-by': 'consul-k8s-gitops' } };
    expect(clusterConflict(ours, 'apps')).toBeUndefined();
  });
});
