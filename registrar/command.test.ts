import { startConsulDouble, type ConsulDouble } from '../test/support/consul';
import { createRegistrarCommand } from './command';

/** Runs the subcommand in-process with this environment; resolves, or rejects with the startup error. */
async function run(args: string[], env: Record<string, string> = {}): Promise<void> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('CONSUL_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    await createRegistrarCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
      .parseAsync(args, { from: 'user' });
  } finally {
    process.env = saved;
  }
}

describe('registrar command', () => {
  test('--help documents every flag of issue 4', () => {
    const help = createRegistrarCommand().helpInformation();
    for (const flag of [
      '--kubeconfig',
      '--datacenter',
      '--k8s-default-sync',
      '--allow-k8s-namespace',
      '--deny-k8s-namespace',
      '--consul-service-prefix',
      '--add-k8s-namespace-suffix',
      '--consul-k8s-tag',
      '--consul-node-name',
      '--sync-clusterip-services',
      '--sync-lb-services-endpoints',
      '--node-port-sync-type',
      '--cluster-id',
      '--resync-period',
      '--leader-elect',
      '--leader-elect-lease-name',
      '--leader-elect-lease-namespace',
      '--purge',
      '--http-port',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('kube-system, kube-public');
  });

  test.each([
    [
      ['--node-port-sync-type', 'Internal'],
      /--node-port-sync-type: "Internal" is not one of ExternalOnly, InternalOnly, ExternalFirst/,
    ],
    [
      ['--k8s-default-sync=yes'],
      /option '--k8s-default-sync \[bool\]' argument 'yes' is invalid. "yes" is not a boolean/,
    ],
    [['--resync-period', 'soon'], /--resync-period: invalid duration "soon"/],
    [['--cluster-id', 'Not Valid'], /--cluster-id/],
  ])('%j is a startup error naming the flag', async (args, message) => {
    await expect(run(args)).rejects.toThrow(message);
  });

  test('an unreadable token file is a startup error', async () => {
    await expect(run([], { CONSUL_HTTP_TOKEN_FILE: '/nonexistent/token' })).rejects.toThrow(
      'CONSUL_HTTP_TOKEN_FILE: cannot read "/nonexistent/token" (ENOENT)',
    );
  });

  describe('--purge', () => {
    let consul: ConsulDouble;
    beforeAll(async () => {
      consul = await startConsulDouble();
    });
    afterAll(async () => {
      await consul.stop();
    });

    test('deregisters what the cluster owns and returns (no Kubernetes access needed)', async () => {
      const owned = { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'east' };
      consul.seed.register({
        Node: 'k8s-sync-east',
        Address: '127.0.0.1',
        NodeMeta: owned,
        Service: { ID: 'a', Service: 'web', Meta: owned },
      });
      consul.seed.register({
        Node: 'k8s-sync-west',
        Address: '127.0.0.1',
        Service: { ID: 'b', Service: 'web', Meta: { ...owned, 'external-k8s-cluster-id': 'west' } },
      });
      await run(['--purge', '--cluster-id', 'east', '--log-level', 'silent'], consul.env());
      expect(consul.state.nodes.has('k8s-sync-east')).toBe(false);
      expect(consul.state.services.get('k8s-sync-west')?.has('b')).toBe(true);
    });
  });

  test('ACL login flags: in --help (aliases hidden), --consul-login-meta repeatable', () => {
    const help = createRegistrarCommand().helpInformation();
    for (const flag of [
      '--acl-auth-method',
      '--consul-login-bearer-token-file',
      '--consul-login-datacenter',
      '--consul-login-partition',
      '--consul-login-namespace',
      '--consul-login-meta',
      '/var/run/secrets/kubernetes.io/serviceaccount/token',
    ]) {
      expect(help).toContain(flag);
    }
    const command = createRegistrarCommand().action(() => undefined);
    command.parse(['--auth-method-name=k8s', '--consul-login-meta', 'a=1,2', '--consul-login-meta', 'b=2'], {
      from: 'user',
    });
    expect(command.opts()).toMatchObject({ authMethodName: 'k8s', consulLoginMeta: ['a=1,2', 'b=2'] });
  });

  test('boolean flags accept Go forms, lists replace their default', async () => {
    const command = createRegistrarCommand().action(() => undefined);
    command.parse(
      [
        '--k8s-default-sync=false',
        '--deny-k8s-namespace',
        'a',
        '--deny-k8s-namespace',
        'b',
        '--leader-elect',
      ],
      { from: 'user' },
    );
    expect(command.opts()).toMatchObject({
      k8sDefaultSync: false,
      denyK8sNamespace: ['a', 'b'],
      leaderElect: true,
    });
  });

  test('Ingress sync and --k8s-source-namespace: documented, parsed under their consul-k8s names', () => {
    const help = createRegistrarCommand().helpInformation();
    for (const flag of ['--enable-ingress', '--loadBalancer-ips', '--k8s-source-namespace'])
      expect(help).toContain(flag);
    const command = createRegistrarCommand().action(() => undefined);
    command.parse(['--enable-ingress', '--loadBalancer-ips=true', '--k8s-source-namespace=apps'], {
      from: 'user',
    });
    expect(command.opts()).toMatchObject({
      enableIngress: true,
      loadBalancerIps: 'true',
      k8sSourceNamespace: 'apps',
    });
  });
});
