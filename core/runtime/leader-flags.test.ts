import { Command } from 'commander';
import { z } from 'zod';
import { addLeaderFlags, LEASE_TOO_SHORT, leaderFlagsShape, leaderSettings } from './leader-flags';
import { parseOptions } from './zod-flags';

const command = (mode?: string) =>
  addLeaderFlags(new Command('x').exitOverride().configureOutput({ writeErr: () => undefined }), {
    leaseName: 'my-lease',
    leaseNamespaceFallback: '--k8s-write-namespace',
    ...(mode !== undefined ? { mode } : {}),
  }).action(() => undefined);

const flags = (args: string[]) => command().parse(args, { from: 'user' }).opts();

const parse = (raw: Record<string, unknown>, minimumLease = true) =>
  parseOptions(
    z.object(leaderFlagsShape({ leaseName: 'my-lease', minimumLease })),
    raw,
    (message) => new Error(message),
  );

describe('addLeaderFlags', () => {
  test('registers every flag with its help, defaults and the mode they apply in', () => {
    const help = command('watch').helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--leader-elect [bool] watch: elect one writer among replicas');
    expect(help).toContain('--leader-elect-lease-name <name> Lease name (default: "my-lease")');
    expect(help).toContain('(default: $POD_NAMESPACE, else --k8s-write-namespace)');
    expect(help).toContain('--leader-elect-lease-duration <duration>');
    expect(help).toContain('(default: "15s")');
    expect(help).toContain('--http-port <port> watch: port for /livez, /healthz, /readyz and /metrics');
    expect(command().helpInformation().replace(/\s+/g, ' ')).toContain('--http-port <port> port for');
  });

  test('--leader-elect takes a Go bool or none; --http-port is parsed by commander', () => {
    expect(flags([])).toMatchObject({ leaderElect: false, httpPort: 8080, leaderElectLeaseDuration: '15s' });
    expect(flags(['--leader-elect', '--http-port', '0'])).toMatchObject({ leaderElect: true, httpPort: 0 });
    expect(flags(['--leader-elect=F'])).toMatchObject({ leaderElect: 'F' });
    expect(() => flags(['--http-port', 'not-a-port'])).toThrow(/invalid port "not-a-port"/);
  });
});

describe('leaderFlagsShape', () => {
  test('defaults, Go booleans and durations', () => {
    expect(parse({})).toEqual({
      leaderElect: false,
      leaderElectLeaseName: 'my-lease',
      leaderElectLeaseDuration: 15_000,
      httpPort: 8080,
    });
    expect(
      parse({ leaderElect: 'T', leaderElectLeaseDuration: '1m', leaderElectLeaseNamespace: 'ops' }),
    ).toEqual({
      leaderElect: true,
      leaderElectLeaseName: 'my-lease',
      leaderElectLeaseNamespace: 'ops',
      leaderElectLeaseDuration: 60_000,
      httpPort: 8080,
    });
  });

  test('every bad value is refused at once, naming its flag', () => {
    const problems = (() => {
      try {
        parse({
          leaderElect: 'maybe',
          leaderElectLeaseName: 'Bad_Name',
          leaderElectLeaseNamespace: 'Bad_NS',
          leaderElectLeaseDuration: 'soon',
          httpPort: 70_000,
        });
      } catch (err) {
        return (err as Error).message.split('; ');
      }
      return [];
    })();
    expect(problems).toEqual([
      '--leader-elect: "maybe" is not a boolean (use true or false)',
      '--leader-elect-lease-name: "Bad_Name" is not a valid name (a DNS subdomain)',
      '--leader-elect-lease-namespace: "Bad_NS" is not a namespace name',
      expect.stringMatching(/^--leader-elect-lease-duration: invalid duration "soon"/),
      '--http-port: expected an integer 0-65535',
    ]);
  });

  test('the minimum Lease duration applies only when asked for', () => {
    expect(() => parse({ leaderElectLeaseDuration: '1s' })).toThrow(new Error(LEASE_TOO_SHORT));
    expect(LEASE_TOO_SHORT).toBe('--leader-elect-lease-duration: at least 2s');
    expect(parse({ leaderElectLeaseDuration: '2s' }).leaderElectLeaseDuration).toBe(2000);
    expect(parse({ leaderElectLeaseDuration: '1s' }, false).leaderElectLeaseDuration).toBe(1000);
  });
});

describe('leaderSettings', () => {
  test('the Lease namespace: the flag, else POD_NAMESPACE, else the fallback', () => {
    const settings = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv) =>
      leaderSettings(parse(raw), env, 'fallback');
    expect(settings({ leaderElectLeaseNamespace: 'ops' }, { POD_NAMESPACE: 'pod' }).leaseNamespace).toBe(
      'ops',
    );
    expect(settings({}, { POD_NAMESPACE: 'pod' }).leaseNamespace).toBe('pod');
    expect(settings({ leaderElect: true, httpPort: 9090 }, {})).toEqual({
      leaderElect: true,
      leaseName: 'my-lease',
      leaseNamespace: 'fallback',
      leaseDurationMs: 15_000,
      httpPort: 9090,
    });
  });
});
