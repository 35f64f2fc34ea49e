import { checkMassDeletion } from './guard';

const defaults = { maxDeletePercent: 50, allowMassDelete: false };

describe('checkMassDeletion', () => {
  it.each([
    [10, 0, true],
    [10, 5, true],
    [10, 6, false],
    [10, 10, false],
    [1, 1, false],
    [0, 0, true],
  ])('current %i, removing %i -> allowed %s', (current, removed, allowed) => {
    expect(checkMassDeletion(current, removed, defaults).allowed).toBe(allowed);
  });

  it('refuses removing everything even with --max-delete-percent 100', () => {
    const verdict = checkMassDeletion(4, 4, { maxDeletePercent: 100, allowMassDelete: false });
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining('all 4 managed Services') });
  });

  it('explains the threshold', () => {
    const verdict = checkMassDeletion(10, 6, defaults);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain('60.0% > --max-delete-percent 50');
  });

  it('--allow-mass-delete overrides', () => {
    expect(checkMassDeletion(10, 10, { ...defaults, allowMassDelete: true }).allowed).toBe(true);
  });
});
