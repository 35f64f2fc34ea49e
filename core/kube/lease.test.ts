import { V1MicroTime } from '@kubernetes/client-node';
import { decideLease, releasedSpec, toMillis } from './lease';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const base = { identity: 'me', leaseDurationSeconds: 15, nowMs: T0, observedAtMs: T0 };
const held = (holder: string, renewMs: number) => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  renewTime: new V1MicroTime(renewMs),
  leaseTransitions: 4,
});

describe('decideLease', () => {
  test('no Lease: create it, holding it ourselves', () => {
    const decision = decideLease({ ...base, current: undefined });
    expect(decision.action).toBe('create');
    if (decision.action !== 'create') return;
    expect(decision.spec).toMatchObject({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    // MicroTime: six fractional digits, which the API server requires.
    expect(JSON.stringify(decision.spec.renewTime)).toBe('"2026-01-01T00:00:00.000000Z"');
  });

  test('our own Lease: renew, keeping transitions', () => {
    const decision = decideLease({ ...base, current: held('me', T0 - 5000) });
    expect(decision).toMatchObject({ action: 'renew', spec: { holderIdentity: 'me', leaseTransitions: 4 } });
  });

  test('someone else renewing: wait', () => {
    expect(decideLease({ ...base, current: held('other', T0 - 1000) })).toEqual({
      action: 'wait',
      holder: 'other',
    });
  });

  test('unchanged for its duration by our observation: take it, counting a transition', () => {
    const nowMs = T0 + 16_000;
    const decision = decideLease({ ...base, nowMs, current: held('other', T0) });
    expect(decision).toMatchObject({ action: 'take', spec: { holderIdentity: 'me', leaseTransitions: 5 } });
  });

  test('renewTime old but only just observed: wait a full duration (protects against clock skew)', () => {
    const decision = decideLease({
      ...base,
      nowMs: T0,
      observedAtMs: T0,
      current: held('other', T0 - 3_600_000),
    });
    expect(decision.action).toBe('wait');
  });

  test("unchanged for a duration by our clock: take it, even when the holder's clock ran ahead", () => {
    // The elector refreshes observedAtMs on every resourceVersion change, so a live holder never
    // looks unchanged; a dead holder whose clock was 2 minutes fast must not delay the takeover.
    const decision = decideLease({
      ...base,
      nowMs: T0 + 60_000,
      observedAtMs: T0,
      current: held('other', T0 + 120_000),
    });
    expect(decision.action).toBe('take');
  });

  test('released (empty holder): take at once', () => {
    const released = releasedSpec(held('other', T0), T0);
    expect(released).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(decideLease({ ...base, current: released }).action).toBe('take');
  });

  test('toMillis reads Dates and the strings client-node returns', () => {
    expect(toMillis('2026-01-01T00:00:00.000000Z')).toBe(T0);
    expect(toMillis(new Date(T0))).toBe(T0);
    expect(toMillis('garbage')).toBeUndefined();
    expect(toMillis(undefined)).toBeUndefined();
  });
});
