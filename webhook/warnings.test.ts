import {
  API_SERVER_WARNINGS_BYTES,
  MAX_WARNING_LENGTH,
  fitWarnings,
  shortWarning,
  warningHeaderBytes,
} from './warnings';
import { reviewAdmission } from './review';

describe('shortWarning', () => {
  test('keeps short text, flattens lines, and never splits a character', () => {
    expect(shortWarning('short')).toBe('short');
    expect(shortWarning('a\nb')).toBe('a b');
    const cut = shortWarning(`${'a'.repeat(116)}😀😀😀`);
    expect(cut).toHaveLength(MAX_WARNING_LENGTH);
    expect(cut.endsWith('a😀…')).toBe(true);
    // A pair that does not fit whole is dropped, never split.
    expect(shortWarning(`${'a'.repeat(117)}😀😀😀`)).toBe(`${'a'.repeat(117)}…`);
    expect(shortWarning('😀'.repeat(200))).toBe(`${'😀'.repeat(59)}…`);
  });

  // Finding 5: the old per-character cut turned "read it as 8080" into "read it as 80…".
  test('cuts at a phrase boundary, never inside a number', () => {
    const message =
      'consul.hashicorp.com/service-port: "0x0000000000001F90" is not a decimal number; consul-k8s would read it as 8080; write 8080';
    const cut = shortWarning(`error (warn mode): ${message}`);
    expect(cut.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
    expect(cut).toBe(
      'error (warn mode): consul.hashicorp.com/service-port: "0x0000000000001F90" is not a decimal number…',
    );
    expect(cut).not.toMatch(/[0-9]…$/);
  });

  test('falls back to a word boundary when the only phrase boundary would lose most of the text', () => {
    const cut = shortWarning(`a; ${'word '.repeat(40)}`);
    expect(cut).toMatch(/^a; (word )+…$|^a; (word )*word…$/);
    expect(cut.length).toBeGreaterThan(100);
  });
});

describe('fitWarnings', () => {
  test('keeps everything that fits, in order', () => {
    expect(fitWarnings(['a', 'b'])).toEqual(['a', 'b']);
  });

  test('stops within the budget and ends with "and N more", counting what the rules left out', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `warning ${i} ${'x'.repeat(90)}`);
    const lines = fitWarnings(texts, 51, 1000);
    const total = lines.reduce((sum, line) => sum + warningHeaderBytes(line), 0);
    expect(total).toBeLessThanOrEqual(1000);
    const kept = lines.length - 1;
    expect(lines.slice(0, kept)).toEqual(texts.slice(0, kept));
    expect(lines[kept]).toBe(
      `and ${100 - kept + 51} more; run consul-k8s-gitops lint on the manifest to see all`,
    );
  });

  test('says "and N more" for what the rules left out even when the rest fits', () => {
    expect(fitWarnings(['a'], 3)).toEqual([
      'a',
      'and 3 more; run consul-k8s-gitops lint on the manifest to see all',
    ]);
  });

  test('counts bytes as the API server does: 299 - "text", quotes and backslashes escaped', () => {
    expect(warningHeaderBytes('ab')).toBe('299 - "ab"'.length);
    expect(warningHeaderBytes('a"\\')).toBe('299 - "a\\"\\\\"'.length);
    expect(warningHeaderBytes('界')).toBe(8 + 3);
  });
});

describe('the warning budget in a review (finding 5)', () => {
  test('200 unknown keys give warnings that all fit the API server limit of 4096 bytes, ending with "and N more"', () => {
    const annotations = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`consul.hashicorp.com/unknown-key-number-${i}`, 'x']),
    );
    const { response } = reviewAdmission(
      {
        uid: 'u',
        kind: { group: '', version: 'v1', kind: 'Service' },
        operation: 'CREATE',
        object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', annotations } },
      },
      { mode: 'enforce' },
    );
    const warnings = response.warnings ?? [];
    const total = warnings.reduce((sum, w) => sum + warningHeaderBytes(w), 0);
    expect(total).toBeLessThanOrEqual(API_SERVER_WARNINGS_BYTES);
    for (const warning of warnings) expect(warning.length).toBeLessThan(120);
    expect(warnings.at(-1)).toMatch(/^and \d+ more/);
    const shown = warnings.filter((w) => w.startsWith('consul.hashicorp.com/unknown-key-number-')).length;
    // The rules keep 10 and summarise 190; the webhook counts those on its last line.
    expect(Number(/^and (\d+) more/.exec(warnings.at(-1)!)![1]) + shown).toBe(200);
  });
});
