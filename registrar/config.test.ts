import { createLogger } from '../core/runtime';
import { parseRegistrarConfig, RegistrarConfigError } from './config';
import { clientTenancy } from '../core/consul';
import { consulFromEnv } from './main';

describe('parseRegistrarConfig', () => {
  test('defaults follow consul-k8s, including the node name k8s-sync', () => {
    const config = parseRegistrarConfig({}, {});
    expect(config).toMatchObject({
      clusterId: 'default',
      nodeName: 'k8s-sync',
      syncTag: 'k8s',
      servicePrefix: '',
      addK8sNamespaceSuffix: false,
      defaultSync: true,
      allowNamespaces: ['*'],
      denyNamespaces: ['kube-system', 'kube-public'],
      syncClusterIPServices: true,
      syncLoadBalancerEndpoints: false,
      nodePortSyncType: 'ExternalOnly',
      resyncPeriodMs: 300_000,
      leaderElect: false,
      leaseName: 'consul-k8s-gitops-registrar',
      leaseNamespace: 'default',
      leaseDurationMs: 15_000,
      purge: false,
      httpPort: 8080,
      logJson: true,
    });
  });

  test('explicit values', () => {
    const config = parseRegistrarConfig(
      {
        clusterId: 'east-1',
        k8sDefaultSync: 'false',
        allowK8sNamespace: ['a', 'b'],
        denyK8sNamespace: ['c'],
        consulNodeName: 'my-node',
        nodePortSyncType: 'ExternalFirst',
        resyncPeriod: '1m30s',
        syncClusteripServices: 'F',
        syncLbServicesEndpoints: true,
        leaderElect: '1',
        logJson: 'false',
      },
      { POD_NAMESPACE: 'consul' },
    );
    expect(config).toMatchObject({
      clusterId: 'east-1',
      nodeName: 'my-node',
      defaultSync: false,
      allowNamespaces: ['a', 'b'],
      denyNamespaces: ['c'],
      nodePortSyncType: 'ExternalFirst',
      resyncPeriodMs: 90_000,
      syncClusterIPServices: false,
      syncLoadBalancerEndpoints: true,
      leaderElect: true,
      leaseNamespace: 'consul',
      logJson: false,
    });
  });

  test.each([
    [{}, 'k8s-sync'],
    [{ clusterId: 'default' }, 'k8s-sync'],
    [{ clusterId: 'east-1' }, 'k8s-sync-east-1'],
    [{ clusterId: 'east-1', consulNodeName: 'my-node' }, 'my-node'],
    [{ consulNodeName: 'N'.repeat(63) }, 'N'.repeat(63)],
  ])('default node name for %j: %s', (raw, nodeName) => {
    expect(parseRegistrarConfig(raw, {}).nodeName).toBe(nodeName);
  });

  test.each([
    [
      { nodePortSyncType: 'External' },
      '--node-port-sync-type: "External" is not one of ExternalOnly, InternalOnly, ExternalFirst',
    ],
    [{ k8sDefaultSync: 'yes' }, '--k8s-default-sync: "yes" is not a boolean'],
    [{ resyncPeriod: '10' }, '--resync-period: invalid duration "10"'],
    [{ resyncPeriod: '10ms' }, '--resync-period: "10ms" is too short'],
    [{ clusterId: 'East_1' }, '--cluster-id: expected lowercase letters'],
    [{ consulNodeName: 'a b' }, '--consul-node-name: expected letters'],
    // consul-k8s's node name rule (Consul's DNS rule): letters, digits, dashes, at most 63.
    [{ consulNodeName: 'sync.node' }, '--consul-node-name: expected letters, digits and "-"'],
    [{ consulNodeName: 'under_score' }, '--consul-node-name: expected letters, digits and "-"'],
    [{ consulNodeName: 'n'.repeat(64) }, '--consul-node-name: expected letters, digits and "-"'],
    [{ clusterId: 'c'.repeat(60) }, '--cluster-id: the default node name'],
    [{ allowK8sNamespace: [''] }, '--allow-k8s-namespace: empty namespace name'],
    [{ consulK8sTag: '' }, '--consul-k8s-tag: must be non-empty'],
  ])('%j fails with a message naming the flag', (raw, message) => {
    expect(() => parseRegistrarConfig(raw, {})).toThrow(RegistrarConfigError);
    expect(() => parseRegistrarConfig(raw, {})).toThrow(message);
  });

  test('--filter selects what --purge removes, and means nothing without it', () => {
    expect(parseRegistrarConfig({ purge: true, filter: 'Service == "web"' }, {}).purgeFilter).toBe(
      'Service == "web"',
    );
    expect(() => parseRegistrarConfig({ filter: 'Service == "web"' }, {})).toThrow(
      new RegistrarConfigError('--filter: only used with --purge (it selects what to deregister)'),
    );
    expect(() => parseRegistrarConfig({ purge: true, filter: '' }, {})).toThrow(
      /--filter: the expression is empty/,
    );
  });

  test('every problem is reported at once', () => {
    let message = '';
    try {
      parseRegistrarConfig({ nodePortSyncType: 'x', purge: 'maybe' }, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('--node-port-sync-type');
    expect(message).toContain('--purge');
  });
});

describe('finding 4: Enterprise namespace flags (consul-k8s names and defaults)', () => {
  test('off by default; --enable-namespaces=false stays off', () => {
    expect(parseRegistrarConfig({}, {}).namespaces).toBeUndefined();
    expect(parseRegistrarConfig({ enableNamespaces: 'false' }, {}).namespaces).toBeUndefined();
  });

  test('--enable-namespaces: destination namespace "default" unless given', () => {
    expect(parseRegistrarConfig({ enableNamespaces: true }, {}).namespaces).toEqual({
      destination: 'default',
      mirroring: false,
      mirroringPrefix: '',
    });
    expect(
      parseRegistrarConfig(
        {
          enableNamespaces: 'true',
          consulDestinationNamespace: 'team',
          consulCrossNamespaceAclPolicy: 'cross-ns',
        },
        {},
      ).namespaces,
    ).toEqual({
      destination: 'team',
      mirroring: false,
      mirroringPrefix: '',
      crossNamespaceAclPolicy: 'cross-ns',
    });
  });

  test('mirroring with a prefix; --partition', () => {
    const config = parseRegistrarConfig(
      {
        enableNamespaces: true,
        enableK8sNamespaceMirroring: true,
        k8sNamespaceMirroringPrefix: 'k8s-',
        partition: 'east',
      },
      {},
    );
    expect(config.namespaces).toEqual({ destination: 'default', mirroring: true, mirroringPrefix: 'k8s-' });
    expect(config.partition).toBe('east');
  });

  test.each([
    [
      { consulDestinationNamespace: 'team' },
      '--consul-destination-namespace: only used with --enable-namespaces',
    ],
    [
      { enableK8sNamespaceMirroring: true },
      '--enable-k8s-namespace-mirroring: only used with --enable-namespaces',
    ],
    [
      { consulCrossNamespaceAclPolicy: 'p' },
      '--consul-cross-namespace-acl-policy: only used with --enable-namespaces',
    ],
    [
      { enableNamespaces: true, k8sNamespaceMirroringPrefix: 'k8s-' },
      '--k8s-namespace-mirroring-prefix: only used with --enable-k8s-namespace-mirroring',
    ],
    [
      { enableNamespaces: true, enableK8sNamespaceMirroring: true, consulDestinationNamespace: 'team' },
      '--consul-destination-namespace: not used with --enable-k8s-namespace-mirroring',
    ],
    [
      { enableNamespaces: true, consulDestinationNamespace: 'Team_1' },
      '--consul-destination-namespace: expected a namespace',
    ],
    [
      { enableNamespaces: true, enableK8sNamespaceMirroring: true, k8sNamespaceMirroringPrefix: '-x' },
      '--k8s-namespace-mirroring-prefix: expected letters',
    ],
    [
      { enableNamespaces: true, consulCrossNamespaceAclPolicy: 'a b' },
      '--consul-cross-namespace-acl-policy: expected',
    ],
    [{ partition: 'east/1' }, '--partition: expected a namespace or partition name'],
    [{ enableNamespaces: 'maybe' }, '--enable-namespaces: "maybe" is not a boolean'],
  ])('%j is refused, naming the flag', (raw, message) => {
    expect(() => parseRegistrarConfig(raw, {})).toThrow(message);
  });
});

describe('finding 4: CONSUL_NAMESPACE and CONSUL_PARTITION are never silently dropped', () => {
  const logger = createLogger({ level: 'silent', component: 'registrar' });

  test('the client carries them (and --partition wins over CONSUL_PARTITION)', () => {
    const config = parseRegistrarConfig({}, {});
    const consul = consulFromEnv(config, { CONSUL_NAMESPACE: 'team', CONSUL_PARTITION: 'east' }, logger);
    expect(clientTenancy(consul)).toEqual({ namespace: 'team', partition: 'east' });
    const flagged = consulFromEnv(
      parseRegistrarConfig({ partition: 'west' }, {}),
      { CONSUL_PARTITION: 'east' },
      logger,
    );
    expect(clientTenancy(flagged)).toEqual({ partition: 'west' });
  });

  test('a bad name is refused, naming the variable', () => {
    expect(() => consulFromEnv(parseRegistrarConfig({}, {}), { CONSUL_NAMESPACE: 'a/b' }, logger)).toThrow(
      'CONSUL_NAMESPACE: "a/b" is not a namespace or partition name',
    );
  });
});

describe('ACL login flags', () => {
  test("the token's meta names the component and the pod; CONSUL_LOGIN_* variables apply", () => {
    const env = { POD_NAMESPACE: 'ckg', POD_NAME: 'registrar-0', CONSUL_LOGIN_AUTH_METHOD: 'k8s-auth' };
    expect(parseRegistrarConfig({}, env).login).toEqual({
      authMethod: 'k8s-auth',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      meta: { component: 'registrar', pod: 'ckg/registrar-0' },
    });
    expect(parseRegistrarConfig({}, { POD_NAMESPACE: 'ckg' }).login).toBeUndefined();
  });

  test('a bad login flag is a RegistrarConfigError naming it', () => {
    expect(() => parseRegistrarConfig({ consulLoginDatacenter: 'dc2' }, {})).toThrow(RegistrarConfigError);
    expect(() => parseRegistrarConfig({ consulLoginDatacenter: 'dc2' }, {})).toThrow(
      '--consul-login-datacenter: only used with --acl-auth-method',
    );
  });
});

describe('Ingress sync and --k8s-source-namespace (consul-k8s flags)', () => {
  test('defaults: off, all namespaces', () => {
    const config = parseRegistrarConfig({}, {});
    expect(config).toMatchObject({ enableIngress: false, syncLoadBalancerIPs: false });
    expect(config.sourceNamespace).toBeUndefined();
  });

  test('--enable-ingress and --loadBalancer-ips take Go booleans', () => {
    expect(parseRegistrarConfig({ enableIngress: true, loadBalancerIps: 'T' }, {})).toMatchObject({
      enableIngress: true,
      syncLoadBalancerIPs: true,
    });
    expect(() => parseRegistrarConfig({ enableIngress: 'yes' }, {})).toThrow(
      '--enable-ingress: "yes" is not a boolean',
    );
    expect(() => parseRegistrarConfig({ loadBalancerIps: 'on' }, {})).toThrow(
      '--loadBalancer-ips: "on" is not a boolean',
    );
  });

  test('a source namespace replaces the allow list; the deny list still applies (as consul-k8s)', () => {
    const config = parseRegistrarConfig(
      { k8sSourceNamespace: 'apps', allowK8sNamespace: ['*'], denyK8sNamespace: ['apps'] },
      {},
    );
    expect(config).toMatchObject({
      sourceNamespace: 'apps',
      allowNamespaces: ['apps'],
      denyNamespaces: ['apps'],
    });
  });

  test('an empty source namespace means all (the chart passes none when unset)', () => {
    const config = parseRegistrarConfig({ k8sSourceNamespace: '', allowK8sNamespace: ['a'] }, {});
    expect(config.sourceNamespace).toBeUndefined();
    expect(config.allowNamespaces).toEqual(['a']);
  });

  test('a source namespace that is no namespace name fails naming the flag', () => {
    expect(() => parseRegistrarConfig({ k8sSourceNamespace: 'Apps_1' }, {})).toThrow(
      '--k8s-source-namespace: expected a namespace name',
    );
  });
});
