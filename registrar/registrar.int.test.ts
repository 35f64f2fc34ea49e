/**
 * The registrar end to end: the Kubernetes and Consul doubles, the real clients, the real
 * controller. Each test starts its own doubles so no state leaks between cases.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { consulConfigFromEnv, createConsulClient } from '../core/consul';
import { boundPort, createLogger } from '../core/runtime';
import { createTestCa } from '../test/support/pki';
import { purgeRegistrations } from './main';
import { converged, endpointSlice, Harness, node, service } from '../test/support/registrar/harness';
import { eventually } from '../test/support/wait';

jest.setTimeout(20_000);

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.close();
});

describe('service types', () => {
  test('every type registers per REFERENCE.md, ExternalName does not', async () => {
    const { kube } = h;
    kube.create(node('n1', { InternalIP: '10.0.0.1', ExternalIP: '34.0.0.1' }));
    kube.create(service('cip', { type: 'ClusterIP' }));
    kube.create(endpointSlice('cip', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false }]));
    kube.create(
      service('np', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      }),
    );
    kube.create(endpointSlice('np', [{ ip: '10.1.1.1', node: 'n1' }]));
    const lb = kube.create(
      service('lb', {
        type: 'LoadBalancer',
        ports: [{ name: 'http', port: 443, targetPort: 8443, nodePort: 30443 }],
      }),
    );
    kube.updateStatus({ ...lb, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } });
    kube.create(
      service(
        'ext',
        { type: 'ClusterIP', externalIPs: ['5.5.5.5'] },
        { 'consul.hashicorp.com/service-weight': '4' },
      ),
    );
    kube.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'alias', namespace: 'default' },
      spec: { type: 'ExternalName', externalName: 'x.example.com' },
    });
    kube.create(service('sys', { type: 'ClusterIP' }, {}, 'kube-system'));
    kube.create(endpointSlice('sys', [{ ip: '10.9.0.1' }], 'kube-system'));

    const registrar = await h.registrar();
    await converged(registrar);

    expect(h.addresses('cip')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);
    expect(h.addresses('np')).toEqual(['34.0.0.1:30080']);
    expect(h.addresses('lb')).toEqual(['1.2.3.4:443']);
    expect(h.addresses('ext')).toEqual(['5.5.5.5:80']);
    expect(h.addresses('alias')).toEqual([]);
    expect(h.addresses('sys')).toEqual([]);

    const ext = h.instances().find((s) => s.Service === 'ext')!;
    expect(ext.Weights).toEqual({ Passing: 4, Warning: 1 });
    expect(ext.Tags).toEqual(['k8s']);
    expect(ext.Meta).toMatchObject({
      'external-source': 'kubernetes',
      'external-k8s-ns': 'default',
      'external-k8s-cluster-id': 'east',
      'port-http': '80',
    });
    const nodeRecord = h.consul.state.nodes.get('k8s-sync-east')!;
    expect(nodeRecord.Address).toBe('127.0.0.1');
    expect(nodeRecord.Meta).toMatchObject({
      'external-source': 'kubernetes',
      'external-k8s-cluster-id': 'east',
    });

    const checks = h.checks().filter((c) => c.ServiceName === 'cip');
    expect(checks.map((c) => c.Status).sort()).toEqual(['critical', 'passing']);
    expect(
      checks.every(
        (c) => c.Name === 'Kubernetes Readiness Check' && c.CheckID.startsWith('default/cip-east-'),
      ),
    ).toBe(true);
  });

  test('naming and placement flags: prefix, namespace suffix, tag, node name, NodePort address type, LB endpoints', async () => {
    const { kube } = h;
    kube.create(node('n1', { InternalIP: '10.0.0.1' }));
    kube.create(
      service(
        'np',
        { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] },
        {},
        'shop',
      ),
    );
    kube.create(endpointSlice('np', [{ ip: '10.1.1.1', node: 'n1' }], 'shop'));
    const lb = kube.create(
      service(
        'lb',
        { type: 'LoadBalancer', ports: [{ name: 'http', port: 443, targetPort: 8080, nodePort: 30443 }] },
        {},
        'shop',
      ),
    );
    kube.updateStatus({ ...lb, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } });
    kube.create(endpointSlice('lb', [{ ip: '10.1.2.1' }], 'shop'));

    const registrar = await h.registrar({
      consulServicePrefix: 'k-',
      addK8sNamespaceSuffix: true,
      consulK8sTag: 'from-k8s',
      consulNodeName: 'my-sync',
      nodePortSyncType: 'InternalOnly',
      syncLbServicesEndpoints: true,
    });
    await converged(registrar);
    expect(h.addresses('k-np-shop', 'my-sync')).toEqual(['10.0.0.1:30080']);
    expect(h.addresses('k-lb-shop', 'my-sync')).toEqual(['10.1.2.1:8080']);
    expect(h.instances('my-sync').every((s) => s.Tags[0] === 'from-k8s')).toBe(true);
  });

  test('Consul over HTTPS with CONSUL_CACERT; an untrusted server is refused', async () => {
    const ca = createTestCa();
    const pair = ca.issue({ commonName: 'consul', ipAddresses: ['127.0.0.1'] });
    await h.close();
    h = await Harness.start({ tls: { key: pair.keyPem, cert: pair.certPem } });
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-tls-'));
    try {
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, ca.certPem);
      const untrusted = await h.registrar();
      await eventually(() => expect(untrusted.logs.some((l) => l.class === 'transient')).toBe(true));
      expect(h.instances()).toHaveLength(0);
      await untrusted.stop();
      const trusted = await h.registrar({}, { env: { CONSUL_CACERT: caFile } });
      await converged(trusted);
      expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('CONSUL_TLS_SERVER_NAME verifies the certificate against that name; CONSUL_HTTP_SSL_VERIFY=false skips verification', async () => {
    const ca = createTestCa();
    // The server certificate names only the server name, not the address we dial.
    const server = ca.issue({ commonName: 'server.dc1.consul', dnsNames: ['server.dc1.consul'] });
    await h.close();
    h = await Harness.start({ tls: { key: server.keyPem, cert: server.certPem } });
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-tls-name-'));
    try {
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, ca.certPem);
      const wrongName = await h.registrar({}, { env: { CONSUL_CACERT: caFile } });
      await eventually(() => expect(wrongName.logs.some((l) => l.class === 'transient')).toBe(true));
      await wrongName.stop();
      expect(h.instances()).toHaveLength(0);

      const named = await h.registrar(
        {},
        { env: { CONSUL_CACERT: caFile, CONSUL_TLS_SERVER_NAME: 'server.dc1.consul' } },
      );
      await converged(named);
      expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
      await named.stop();

      h.consul.seed.clear();
      const unverified = await h.registrar({}, { env: { CONSUL_HTTP_SSL_VERIFY: 'false' } });
      await converged(unverified);
      expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('CONSUL_HTTP_TOKEN_FILE: its token is used (over CONSUL_HTTP_TOKEN) and never logged', async () => {
    await h.close();
    h = await Harness.start({
      acl: {
        enabled: true,
        defaultPolicy: 'deny',
        tokens: [
          {
            secretId: 'file-token-secret',
            rules: { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } },
          },
        ],
      },
    });
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-token-'));
    try {
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, 'file-token-secret\n');
      const registrar = await h.registrar(
        {},
        { token: 'env-token-not-allowed', env: { CONSUL_HTTP_TOKEN_FILE: tokenFile } },
      );
      await converged(registrar);
      expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
      const logs = JSON.stringify(registrar.logs);
      expect(logs).toContain('token=from CONSUL_HTTP_TOKEN_FILE');
      expect(logs).not.toContain('file-token-secret');
      expect(logs).not.toContain('env-token-not-allowed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('finding 5: a rotated CONSUL_HTTP_TOKEN_FILE is re-read without a restart', async () => {
    await h.close();
    h = await Harness.start({
      acl: {
        enabled: true,
        tokens: [
          { secretId: 'new-secret', rules: { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } } },
        ],
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-rotate-'));
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'old-revoked-secret\n');
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const registrar = await h.registrar({}, { env: { CONSUL_HTTP_TOKEN_FILE: file } });
    await eventually(() => expect(registrar.logs.some((l) => l.class === 'auth')).toBe(true));
    expect(h.instances()).toHaveLength(0);
    // As a Secret volume update does: a new file swapped in under the same path.
    fs.writeFileSync(`${file}.new`, 'new-secret\n');
    fs.renameSync(`${file}.new`, file);
    await eventually(() => expect(h.addresses('web')).toEqual(['1.1.1.1:80']), { timeoutMs: 8000 });
    const logs = JSON.stringify(registrar.logs);
    expect(logs).not.toContain('new-secret');
    expect(logs).not.toContain('old-revoked-secret');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--datacenter: requests go to that datacenter', async () => {
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const wrong = await h.registrar({ datacenter: 'dc9' });
    await eventually(() =>
      expect(wrong.logs.some((l) => String(l.msg).includes('No path to datacenter'))).toBe(true),
    );
    expect(h.instances()).toHaveLength(0);
    await wrong.stop();
    const right = await h.registrar({ datacenter: 'dc1' });
    await converged(right);
    expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
    expect(h.consul.requests.entries.filter((e) => e.query.dc === 'dc1').length).toBeGreaterThan(0);
  });

  test('filters: deny list, allow list, default-sync off, ClusterIP sync off', async () => {
    const { kube } = h;
    const lb = (ip: string) => ({
      type: 'LoadBalancer',
      externalIPs: [ip],
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30000 + Number(ip[0]) }],
    });
    kube.create(service('a', lb('1.1.1.1'), {}, 'team-a'));
    kube.create(service('b', lb('2.2.2.2'), { 'consul.hashicorp.com/service-sync': 'true' }, 'team-b'));
    kube.create(service('c', lb('3.3.3.3'), {}, 'team-c'));
    kube.create(service('e', lb('4.4.4.4'), {}, 'team-b'));
    kube.create(
      service('d', { type: 'ClusterIP' }, { 'consul.hashicorp.com/service-sync': 'true' }, 'team-b'),
    );
    kube.create(endpointSlice('d', [{ ip: '10.1.0.1' }], 'team-b'));

    const registrar = await h.registrar({
      allowK8sNamespace: ['team-a', 'team-b'],
      denyK8sNamespace: ['team-a'],
      k8sDefaultSync: false,
      syncClusteripServices: false,
    });
    await converged(registrar);
    // a: denied (deny wins); b: annotated; c: not allowed; d: ClusterIP sync off (annotation cannot
    // override); e: default sync off.
    expect(h.instances().map((s) => s.Service)).toEqual(['b']);
  });
});

describe('changes reach Consul', () => {
  test('annotation changes, sync flips, readiness flips, terminating endpoints, delete', async () => {
    const { kube } = h;
    kube.create(service('web', {}));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }]));
    const registrar = await h.registrar();
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);

    // Rename through service-name: instances move, the old ones go.
    kube.apply(
      service(
        'web',
        {},
        { 'consul.hashicorp.com/service-name': 'frontend', 'consul.hashicorp.com/service-tags': 'a,b' },
      ),
    );
    await eventually(() => expect(h.addresses('web')).toEqual([]));
    expect(h.addresses('frontend')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);
    expect(h.instances()[0]?.Tags).toEqual(['k8s', 'a', 'b']);

    // Readiness flip: the check turns critical, the instance stays.
    kube.apply(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false }]));
    await eventually(() => expect(h.checks().filter((c) => c.Status === 'critical')).toHaveLength(1));
    expect(h.addresses('frontend')).toHaveLength(2);

    // Terminating endpoint: deregistered.
    kube.apply(
      endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false, terminating: true }]),
    );
    await eventually(() => expect(h.addresses('frontend')).toEqual(['10.1.0.1:8080']));
    expect(h.checks()).toHaveLength(1);

    // service-sync false removes, true brings back.
    kube.apply(
      service(
        'web',
        {},
        { 'consul.hashicorp.com/service-name': 'frontend', 'consul.hashicorp.com/service-sync': 'false' },
      ),
    );
    await eventually(() => expect(h.instances()).toHaveLength(0));
    kube.apply(
      service(
        'web',
        {},
        { 'consul.hashicorp.com/service-name': 'frontend', 'consul.hashicorp.com/service-sync': 'true' },
      ),
    );
    await eventually(() => expect(h.addresses('frontend')).toEqual(['10.1.0.1:8080']));

    // Delete.
    kube.delete('services', 'default', 'web');
    await eventually(() => expect(h.instances()).toHaveLength(0));
    expect(h.checks()).toHaveLength(0);
  });

  test('a deleted EndpointSlice removes its instances; a second slice adds to them', async () => {
    const { kube } = h;
    kube.create(service('web', {}));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    const registrar = await h.registrar();
    await converged(registrar);
    kube.create(endpointSlice('web', [{ ip: '10.1.0.2' }], 'default', 'web-second'));
    await eventually(() => expect(h.addresses('web')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']));
    kube.delete('endpointslices', 'default', 'web-abc');
    await eventually(() => expect(h.addresses('web')).toEqual(['10.1.0.2:8080']));
    expect(h.checks().map((c) => c.ServiceID)).toEqual([h.instances()[0]?.ID]);
  });

  test('a NodePort instance follows its Node address (from the Node cache)', async () => {
    const { kube } = h;
    kube.create(node('n1', { ExternalIP: '34.0.0.1' }));
    kube.create(
      service('np', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      }),
    );
    kube.create(endpointSlice('np', [{ ip: '10.1.1.1', node: 'n1' }]));
    const registrar = await h.registrar();
    await converged(registrar);
    expect(h.addresses('np')).toEqual(['34.0.0.1:30080']);
    const n1 = kube.get('nodes', undefined, 'n1')!;
    kube.updateStatus({ ...n1, status: { addresses: [{ type: 'ExternalIP', address: '34.0.0.9' }] } });
    await eventually(() => expect(h.addresses('np')).toEqual(['34.0.0.9:30080']));
    expect(kube.requests.filter((r) => r.resource === 'nodes' && r.verb === 'get')).toHaveLength(0);
  });

  test('invalid annotations produce a Warning Event with the rule message', async () => {
    const { kube } = h;
    kube.create(
      service(
        'web',
        { externalIPs: ['1.1.1.1'] },
        {
          'consul.hashicorp.com/service-port': 'nope',
          'consul.hashicorp.com/service-meta-external-source': 'terraform',
        },
      ),
    );
    const registrar = await h.registrar();
    await converged(registrar);
    await eventually(() => expect(kube.list('events', 'default')).toHaveLength(1));
    const [event] = kube.list<{
      type: string;
      reason: string;
      message: string;
      involvedObject: { name: string };
    }>('events', 'default');
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'InvalidConsulAnnotations',
      involvedObject: { name: 'web' },
    });
    expect(event?.message).toContain('consul.hashicorp.com/service-port');
    expect(event?.message).toContain('consul.hashicorp.com/service-meta-external-source');
    // Ownership meta cannot be overwritten through annotations.
    expect(h.instances()[0]?.Meta['external-source']).toBe('kubernetes');
    // The Service is still synced with the default (first) port.
    expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
  });

  test('a port read as consul-k8s reads it (hex) is registered and told in a Warning Event', async () => {
    const { kube } = h;
    kube.create(
      service('hex', { externalIPs: ['1.1.1.1'] }, { 'consul.hashicorp.com/service-port': '0x2328' }),
    );
    const registrar = await h.registrar();
    await converged(registrar);
    expect(h.addresses('hex')).toEqual(['1.1.1.1:9000']);
    await eventually(() => expect(kube.list('events', 'default')).toHaveLength(1));
    const [event] = kube.list<{ type: string; reason: string; message: string }>('events', 'default');
    expect(event).toMatchObject({ type: 'Warning', reason: 'ConsulK8sAnnotationReading' });
    expect(event?.message).toContain(
      '"0x2328" is not a decimal number: consul-k8s parses Go integer literals',
    );
    expect(event?.message).toContain('write "9000"');
  });

  test('an invalid service-sync that leaves a Service unsynced gets an Event; excluded Services do not', async () => {
    const { kube } = h;
    const yes = { 'consul.hashicorp.com/service-sync': 'yes' };
    kube.create(service('opt-in', { externalIPs: ['1.1.1.1'] }, yes));
    kube.create(service('denied', { externalIPs: ['2.2.2.2'] }, yes, 'kube-system'));
    kube.create(
      service(
        'opted-out',
        { externalIPs: ['3.3.3.3'] },
        {
          'consul.hashicorp.com/service-sync': 'false',
          'consul.hashicorp.com/service-port': 'nope',
        },
      ),
    );
    const registrar = await h.registrar({ k8sDefaultSync: false });
    await converged(registrar);
    await eventually(() => expect(kube.list('events')).toHaveLength(1));
    const [event] = kube.list<{ reason: string; message: string; involvedObject: { name: string } }>(
      'events',
    );
    expect(event).toMatchObject({ reason: 'InvalidConsulAnnotations', involvedObject: { name: 'opt-in' } });
    expect(event?.message).toContain('consul.hashicorp.com/service-sync: "yes"');
    // consul-k8s semantics: the invalid value is ignored and the default (off) applies.
    expect(h.instances()).toHaveLength(0);
  });
});

describe('minimal writes and ownership', () => {
  test('restart with no Kubernetes change makes zero Consul writes', async () => {
    const { kube } = h;
    kube.create(node('n1', { ExternalIP: '34.0.0.1' }));
    kube.create(service('web', {}, { 'consul.hashicorp.com/service-meta-team': 'blue' }));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false }]));
    kube.create(
      service('np', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      }),
    );
    kube.create(endpointSlice('np', [{ ip: '10.1.1.1', node: 'n1' }]));
    kube.create(service('ext', { externalIPs: ['5.5.5.5'] }, { 'consul.hashicorp.com/service-weight': '3' }));
    const first = await h.registrar();
    await converged(first);
    expect(h.writes()).toBe(1); // node, services and checks in one transaction
    await first.stop();

    h.consul.requests.clear();
    const second = await h.registrar();
    await converged(second);
    expect(h.writes()).toBe(0);
  });

  test('nothing is reconciled before every cache has synced: a slow cache causes no deregistration', async () => {
    const { kube } = h;
    kube.create(service('web', {}));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    const first = await h.registrar();
    await converged(first);
    await first.stop();

    h.consul.requests.clear();
    kube.failNext(2, { match: (r) => r.resource === 'endpointslices' && r.verb === 'list' });
    const second = await h.registrar();
    expect(second.controller.isReady()).toBe(false);
    await converged(second);
    expect(second.logs.some((l) => l.kind === 'EndpointSlice' && l.msg === 'watch failed; restarting')).toBe(
      true,
    );
    expect(h.writes()).toBe(0);
    expect(h.addresses('web')).toEqual(['10.1.0.1:8080']);
  });

  test('two clusters on one Consul never touch each other, or other tools', async () => {
    const { kube } = h;
    kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    // Another tool's instance on the same node name, and another cluster's on its own node.
    h.consul.seed.register({
      Node: 'k8s-sync-east',
      Address: '127.0.0.1',
      Service: { ID: 'manual-1', Service: 'web', Address: '1.1.1.1', Port: 1 },
    });
    const east = await h.registrar({ clusterId: 'east' });
    const west = await h.registrar({ clusterId: 'west' });
    await converged(east);
    await converged(west);
    expect(h.addresses('web', 'k8s-sync-east')).toEqual(['1.1.1.1:1', '1.1.1.1:80']);
    expect(h.addresses('web', 'k8s-sync-west')).toEqual(['1.1.1.1:80']);
    const eastId = h.instances('k8s-sync-east').find((s) => s.ID !== 'manual-1')!.ID;
    const westId = h.instances('k8s-sync-west')[0]!.ID;
    expect(eastId).not.toEqual(westId);

    // A change seen by both, and resyncs: still nobody deletes anyone else's instances.
    kube.apply(service('web', { externalIPs: ['2.2.2.2'] }));
    await eventually(() => expect(h.addresses('web', 'k8s-sync-west')).toEqual(['2.2.2.2:80']));
    await eventually(() => expect(h.addresses('web', 'k8s-sync-east')).toEqual(['1.1.1.1:1', '2.2.2.2:80']));
    east.controller.leadershipChanged(); // forces a full reconcile
    await east.controller.whenIdle();
    expect(h.instances('k8s-sync-east').map((s) => s.ID)).toContain('manual-1');
    expect(h.addresses('web', 'k8s-sync-west')).toEqual(['2.2.2.2:80']);
  });

  test('finding 2: an existing node that is not ours is never modified (SkipNodeUpdate, as consul-k8s)', async () => {
    h.consul.seed.register({
      Node: 'shared',
      Address: '10.99.0.5',
      NodeMeta: { rack: 'r7' },
      TaggedAddresses: { wan: '203.0.113.5' },
      Service: { ID: 'legacy', Service: 'legacy', Port: 7000 },
    });
    const before = { ...h.consul.state.nodes.get('shared')! };
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const registrar = await h.registrar({ consulNodeName: 'shared' });
    await converged(registrar);
    expect(h.addresses('web', 'shared')).toEqual(['1.1.1.1:80']);
    registrar.controller.leadershipChanged(); // a full reconcile too
    await registrar.controller.whenIdle();
    const node = h.consul.state.nodes.get('shared')!;
    expect(node.Address).toBe('10.99.0.5');
    expect(node.Meta).toEqual({ rack: 'r7' });
    expect(node.TaggedAddresses).toEqual(before.TaggedAddresses);
    expect(node.TaggedAddresses).toMatchObject({ wan: '203.0.113.5' });
    expect(h.instances('shared').map((s) => s.ID)).toContain('legacy');
    // No node write was ever sent.
    expect(h.consul.state.nodes.get('shared')!.ModifyIndex).toBe(before.ModifyIndex);
  });

  test('finding 3: a second registrar of another cluster id given the same node name refuses to start', async () => {
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const east = await h.registrar({ clusterId: 'east', consulNodeName: 'one-node' });
    await converged(east);
    const error = await h
      .registrar({ clusterId: 'west', consulNodeName: 'one-node' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('"one-node"');
    expect((error as Error).message).toContain('"east"');
    // The node keeps its owner; nothing flips on resync.
    east.controller.leadershipChanged();
    await east.controller.whenIdle();
    expect(h.consul.state.nodes.get('one-node')?.Meta['external-k8s-cluster-id']).toBe('east');
  });

  test('a periodic resync repairs drift, writing only the difference', async () => {
    const { kube } = h;
    kube.create(service('a', { externalIPs: ['1.1.1.1'] }));
    kube.create(service('b', { externalIPs: ['2.2.2.2'] }));
    const registrar = await h.registrar({ resyncPeriod: '1s' });
    await converged(registrar);
    const victim = h.instances().find((s) => s.Service === 'a')!;
    h.consul.seed.deregister({ Node: 'k8s-sync-east', ServiceID: victim.ID });
    h.consul.requests.clear();
    await eventually(() => expect(h.addresses('a')).toEqual(['1.1.1.1:80']), { timeoutMs: 5000 });
    await registrar.controller.whenIdle();
    expect(h.writes()).toBe(1);
  });
});

describe('failures', () => {
  test('Consul outage during churn: after recovery Consul equals the desired state', async () => {
    const { kube } = h;
    for (let i = 0; i < 5; i++) kube.create(service(`s${i}`, { externalIPs: [`1.1.1.${i}`] }));
    const registrar = await h.registrar();
    await converged(registrar);

    await h.consul.stop();
    for (let i = 0; i < 5; i += 2) kube.delete('services', 'default', `s${i}`);
    kube.apply(service('s1', { externalIPs: ['9.9.9.1'] }));
    for (let i = 5; i < 8; i++) kube.create(service(`s${i}`, { externalIPs: [`1.1.1.${i}`] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.consul.restart();

    await eventually(
      () =>
        expect(
          h
            .instances()
            .map((s) => `${s.Service}=${s.Address}`)
            .sort(),
        ).toEqual(['s1=9.9.9.1', 's3=1.1.1.3', 's5=1.1.1.5', 's6=1.1.1.6', 's7=1.1.1.7']),
      { timeoutMs: 8000 },
    );
    await registrar.controller.whenIdle();
    expect(registrar.logs.some((l) => l.class === 'transient')).toBe(true);
  });

  test('ACL 403: retried with a clear log, no crash, converges once the token is allowed', async () => {
    await h.close();
    h = await Harness.start({
      acl: {
        enabled: true,
        defaultPolicy: 'deny',
        tokens: [
          {
            secretId: 'sync-token-secret',
            rules: { servicePrefix: { '': 'read' }, nodePrefix: { '': 'write' } },
          },
        ],
      },
    });
    h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const registrar = await h.registrar({}, { token: 'sync-token-secret' });
    await eventually(() =>
      expect(registrar.logs.filter((l) => l.class === 'auth').length).toBeGreaterThanOrEqual(2),
    );
    const line = registrar.logs.find((l) => l.class === 'auth')!;
    expect(String(line.msg)).toMatch(/Permission denied.*service:write/);
    expect(JSON.stringify(registrar.logs)).not.toContain('sync-token-secret');
    expect(h.instances()).toHaveLength(0);
    expect(registrar.controller.isReady()).toBe(false);

    h.consul.acl.setToken({
      secretId: 'sync-token-secret',
      rules: { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } },
    });
    await eventually(() => expect(h.addresses('web')).toEqual(['1.1.1.1:80']), { timeoutMs: 8000 });
  });

  test('finding 1: a token with service:write on web* only: web-* register, api/zzz get an Event, /readyz stays ready, retries back off', async () => {
    await h.close();
    h = await Harness.start({
      acl: {
        enabled: true,
        tokens: [
          {
            secretId: 'web-only-secret',
            accessorId: 'aaaaaaaa-1111-2222-3333-444444444444',
            rules: { nodePrefix: { '': 'write' }, servicePrefix: { '': 'read', web: 'write' } },
          },
        ],
      },
    });
    for (const [i, name] of ['api', 'zzz', 'web-1', 'web-2', 'web-3'].entries())
      h.kube.create(service(name, { externalIPs: [`1.1.1.${i + 1}`] }));
    const registrar = await h.registrar({}, { token: 'web-only-secret', serveHttp: true });
    const base = `http://127.0.0.1:${boundPort(registrar.server!)}`;
    await eventually(() =>
      expect(
        h
          .instances()
          .map((i) => i.Service)
          .sort(),
      ).toEqual(['web-1', 'web-2', 'web-3']),
    );
    await eventually(() => expect(registrar.controller.isReady()).toBe(true));
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    await eventually(() => expect(h.kube.list('events', 'default')).toHaveLength(2));
    const events = h.kube.list<{
      type: string;
      reason: string;
      message: string;
      involvedObject: { name: string };
    }>('events', 'default');
    expect(events.map((e) => e.involvedObject.name).sort()).toEqual(['api', 'zzz']);
    for (const event of events) {
      expect(event).toMatchObject({ type: 'Warning', reason: 'ConsulRegistrationRefused' });
      expect(event.message).toContain(`service:write on "${event.involvedObject.name}"`);
      expect(event.message).not.toContain('web-only-secret');
      expect(event.message).not.toContain('aaaaaaaa-1111');
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('registrar_refused_services{reason="permission",component="registrar"} 2');
    expect(metrics).toMatch(
      /registrar_refused_operations_total\{reason="permission",component="registrar"\} [2-9]/,
    );

    // Retries of the refused services back off (1 s, 2 s, 4 s ... up to minutes), not every pass.
    const attempts = () =>
      h.consul.requests.entries.filter((e) => e.path === '/v1/txn' && e.status === 409).length;
    const before = attempts();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(attempts() - before).toBeLessThanOrEqual(6);
    expect(JSON.stringify(registrar.logs)).not.toContain('web-only-secret');
  });

  test('a refused Service registers once the token is allowed, without holding others meanwhile', async () => {
    await h.close();
    h = await Harness.start({
      acl: {
        enabled: true,
        tokens: [
          {
            secretId: 'tok',
            rules: { nodePrefix: { '': 'write' }, servicePrefix: { '': 'read', web: 'write' } },
          },
        ],
      },
    });
    h.kube.create(service('api', { externalIPs: ['1.1.1.1'] }));
    h.kube.create(service('web', { externalIPs: ['1.1.1.2'] }));
    const registrar = await h.registrar({}, { token: 'tok', refusalRetry: { initialMs: 50, maxMs: 200 } });
    await eventually(() => expect(h.addresses('web')).toEqual(['1.1.1.2:80']));
    expect(h.addresses('api')).toEqual([]);
    h.consul.acl.setToken({
      secretId: 'tok',
      rules: { nodePrefix: { '': 'write' }, servicePrefix: { '': 'write' } },
    });
    await eventually(() => expect(h.addresses('api')).toEqual(['1.1.1.1:80']));
    await converged(registrar);
  });

  test('dropped watches and 410 Gone: relist, no missed deletion', async () => {
    const { kube } = h;
    kube.create(service('keep', { externalIPs: ['1.1.1.1'] }));
    kube.create(service('gone', { externalIPs: ['2.2.2.2'] }));
    const registrar = await h.registrar();
    await converged(registrar);

    kube.pauseWatches();
    kube.delete('services', 'default', 'gone');
    kube.create(service('new', { externalIPs: ['3.3.3.3'] }));
    kube.expireHistory();
    kube.resumeWatches();
    await eventually(
      () =>
        expect(
          h
            .instances()
            .map((s) => s.Service)
            .sort(),
        ).toEqual(['keep', 'new']),
      { timeoutMs: 8000 },
    );

    kube.dropWatches({ abrupt: true });
    kube.delete('services', 'default', 'keep');
    await eventually(() => expect(h.instances().map((s) => s.Service)).toEqual(['new']), { timeoutMs: 8000 });
  });
});

describe('high availability and uninstall', () => {
  test('two replicas with leader election: exactly one writes; the standby takes over', async () => {
    const { kube } = h;
    kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    const flags = { leaderElect: true, leaderElectLeaseDuration: '2s', leaderElectLeaseNamespace: 'default' };
    const a = await h.registrar(flags, { identity: 'replica-a' });
    await eventually(() => a.elector!.isLeader());
    // Only replica B sends a token, so the request log tells the two writers apart.
    const b = await h.registrar(flags, { identity: 'replica-b', token: 'replica-b-token' });
    const writesBy = (replica: 'a' | 'b') =>
      h.consul.requests.writes().filter((w) => w.hasToken === (replica === 'b')).length;
    await converged(a);
    await eventually(() => b.controller.isReady());
    expect(b.elector!.isLeader()).toBe(false);
    expect(h.addresses('web')).toEqual(['1.1.1.1:80']);

    kube.apply(service('web', { externalIPs: ['2.2.2.2'] }));
    await eventually(() => expect(h.addresses('web')).toEqual(['2.2.2.2:80']));
    const writesBefore = h.writes();
    expect(writesBy('a')).toBeGreaterThanOrEqual(2);
    expect(writesBy('b')).toBe(0);

    await a.stop(); // releases the Lease; registrations stay
    expect(h.addresses('web')).toEqual(['2.2.2.2:80']);
    await eventually(() => b.elector!.isLeader(), { timeoutMs: 5000 });
    await b.controller.whenIdle();
    expect(h.writes()).toBe(writesBefore); // the new leader's full reconcile found nothing to change
    kube.apply(service('web', { externalIPs: ['3.3.3.3'] }));
    await eventually(() => expect(h.addresses('web')).toEqual(['3.3.3.3:80']));
    expect(writesBy('b')).toBe(1);
    expect(writesBy('a')).toBe(writesBefore);
  });

  test('purge removes exactly what this cluster owns', async () => {
    const { kube } = h;
    kube.create(service('web', {}));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    const east = await h.registrar({ clusterId: 'east' });
    const west = await h.registrar({ clusterId: 'west' });
    await converged(east);
    await converged(west);
    await east.stop();
    h.consul.seed.register({
      Node: 'k8s-sync-west',
      Address: '127.0.0.1',
      Service: { ID: 'other-tool', Service: 'x', Port: 1 },
    });

    const consul = createConsulClient(consulConfigFromEnv(h.consul.env(), {}, () => ''));
    const logger = createLogger({ level: 'silent' });
    await expect(purgeRegistrations(east.config, consul, logger)).resolves.toEqual({
      deleted: 1,
      nodeDeleted: true,
    });
    expect(h.consul.state.nodes.has('k8s-sync-east')).toBe(false);
    await west.stop();
    await expect(purgeRegistrations(west.config, consul, logger)).resolves.toEqual({
      deleted: 1,
      nodeDeleted: false,
    });
    expect(h.instances('k8s-sync-west').map((s) => s.ID)).toEqual(['other-tool']);
  });

  test('purge --filter removes only the owned instances the filter matches, and keeps the node', async () => {
    const { kube } = h;
    kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
    kube.create(service('api', { externalIPs: ['2.2.2.2'] }));
    const east = await h.registrar({ clusterId: 'east' });
    await eventually(() => expect(h.instances('k8s-sync-east')).toHaveLength(2));
    await east.stop();
    h.consul.seed.register({
      Node: 'k8s-sync-east',
      Address: '127.0.0.1',
      Service: { ID: 'other-web', Service: 'web', Port: 1 },
    });
    const consul = createConsulClient(consulConfigFromEnv(h.consul.env(), {}, () => ''));
    const logger = createLogger({ level: 'silent' });
    const config = { ...east.config, purgeFilter: 'Service == "web"' };
    await expect(purgeRegistrations(config, consul, logger)).resolves.toEqual({
      deleted: 1,
      nodeDeleted: false,
    });
    expect(
      h
        .instances('k8s-sync-east')
        .map((s) => s.Service)
        .sort(),
    ).toEqual(['api', 'web']);
    expect(h.instances('k8s-sync-east').find((s) => s.Service === 'web')?.ID).toBe('other-web');

    const bad = { ...east.config, purgeFilter: 'Service ==' };
    const started = Date.now();
    await expect(purgeRegistrations(bad, consul, logger)).rejects.toThrow(/filter/i);
    expect(Date.now() - started).toBeLessThan(2000); // a malformed filter is not retried
  });
});

describe('health and metrics', () => {
  test('a taken HTTP port: fails by default; with httpPortInUse=continue it syncs without the endpoints', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
      await expect(h.registrar({ httpPort: port }, { serveHttp: true })).rejects.toThrow('EADDRINUSE');
      const registrar = await h.registrar({ httpPort: port }, { serveHttp: true, httpPortInUse: 'continue' });
      await converged(registrar);
      expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
      expect(registrar.server).toBeUndefined();
      expect(registrar.logs.find((l) => l.level === 'error')?.msg).toContain(`port ${port} is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('/readyz turns ready after the first reconcile; /metrics has the registrar series', async () => {
    h.kube.create(service('web', {}));
    h.kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false }]));
    const registrar = await h.registrar({}, { serveHttp: true });
    const base = `http://127.0.0.1:${boundPort(registrar.server!)}`;
    await converged(registrar);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      'registrar_desired_instances{component="registrar"} 2',
      'registrar_registered_instances{component="registrar"} 2',
      'registrar_operations_total{kind="service",component="registrar"} 2',
      'registrar_operations_total{kind="check",component="registrar"} 2',
      'registrar_operations_total{kind="node",component="registrar"} 1',
      'registrar_consul_transactions_total{component="registrar"} 1',
      'registrar_leader{component="registrar"} 1',
    ]) {
      expect(metrics).toContain(line);
    }
    expect(metrics).toMatch(/registrar_reconcile_duration_seconds_count\{[^}]*scope="full"[^}]*\} [1-9]/);
    expect(metrics).toMatch(
      /registrar_last_successful_sync_timestamp_seconds\{component="registrar"\} [1-9]/,
    );
    expect(metrics).toContain('registrar_consul_errors_total');
  });
});
