import { checkMassDeletion, nextHighWaterMark } from './guard';

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

describe('checkMassDeletion against the high-water mark (finding 9: no erosion by small steps)', () => {
  it('refuses a run that stays under the limit for this run but not against the mark', () => {
    expect(checkMassDeletion(10, 5, defaults, { after: 5, highWaterMark: 10 }).allowed).toBe(true);
    const verdict = checkMassDeletion(5, 2, defaults, { after: 3, highWaterMark: 10 });
    expect(verdict).toEqual({
      allowed: false,
      reason:
        'refusing to remove 2 of 5 managed Services: 3 would be left of the 10 this path held ' +
        '(its high-water mark; 70.0% fewer > --max-delete-percent 50; pass --allow-mass-delete if ' +
        'this is intended, which also resets the mark)',
    });
  });

  it('counts what the run adds, takes the current count when no mark is recorded, and yields to --allow-mass-delete', () => {
    expect(checkMassDeletion(5, 2, defaults, { after: 8, highWaterMark: 10 }).allowed).toBe(true);
    expect(checkMassDeletion(10, 4, defaults, { after: 6 }).allowed).toBe(true);
    expect(
      checkMassDeletion(5, 2, { ...defaults, allowMassDelete: true }, { after: 3, highWaterMark: 10 })
        .allowed,
    ).toBe(true);
    expect(checkMassDeletion(5, 0, defaults, { after: 5, highWaterMark: 10 }).allowed).toBe(true);
  });
});

describe('nextHighWaterMark', () => {
  it('rises with growth, holds through shrinking, and is reset by --allow-mass-delete', () => {
    expect(nextHighWaterMark(10, 10, 12, defaults)).toBe(12);
    expect(nextHighWaterMark(10, 8, 5, defaults)).toBe(10);
    expect(nextHighWaterMark(undefined, 10, 6, defaults)).toBe(10);
    expect(nextHighWaterMark(10, 5, 2, { ...defaults, allowMassDelete: true })).toBe(2);
  });
});
