import { electionIdentity, leaseNamespace, leaseTiming, MIN_LEASE_DURATION_MS } from './lease-settings';

describe('leaseTiming', () => {
  test("client-go's defaults from the 15 s lease: renew deadline 10 s, retry 2 s", () => {
    expect(leaseTiming(15_000)).toEqual({
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
    });
  });
  test('rounds up to whole seconds and never goes below the minimum', () => {
    expect(leaseTiming(2500).leaseDurationSeconds).toBe(3);
    expect(leaseTiming(120)).toEqual(leaseTiming(MIN_LEASE_DURATION_MS));
    const { renewDeadlineMs, retryPeriodMs } = leaseTiming(MIN_LEASE_DURATION_MS);
    expect(retryPeriodMs).toBeLessThan(renewDeadlineMs);
  });
});

describe('electionIdentity', () => {
  test('the Pod name when the downward API gives it, else a unique host-based name', () => {
    expect(electionIdentity({ POD_NAME: 'registrar-7d9f-abcde' })).toBe('registrar-7d9f-abcde');
    const a = electionIdentity({});
    expect(a).not.toBe(electionIdentity({}));
    expect(a).toMatch(/-[0-9a-f]{6}$/);
  });
});

describe('leaseNamespace', () => {
  test('the flag, else the Pod namespace, else the program fallback', () => {
    expect(leaseNamespace('kube-ops', { POD_NAMESPACE: 'consul' }, 'default')).toBe('kube-ops');
    expect(leaseNamespace(undefined, { POD_NAMESPACE: 'consul' }, 'default')).toBe('consul');
    expect(leaseNamespace(undefined, { POD_NAMESPACE: ' ' }, 'consul-services')).toBe('consul-services');
    expect(leaseNamespace(undefined, {}, 'default')).toBe('default');
  });
});
