/**
 * The CEL table against the rules: every rule id is covered or listed as not expressible, and the
 * regex sources mean in JavaScript what the rules' own code means (RE2 on the API server reads
 * these simple classes alike; the real-server suite checks the policy end to end).
 */
import fc from 'fast-check';
import { ALL_RULES } from './rules';
import { CEL_RULES } from './cel';
import { CEL_REASONS, NOT_EXPRESSIBLE } from './cel-coverage';
import { PATTERNS, celString } from './cel-syntax';
import { analyzeService } from './analyze';
import { POLICY_CORPUS, serviceFor } from '../../test/support/policy/corpus';
import { goIntLiteral } from '../go/strconv';
import { isConsulDnsName } from '../names/dns';

const js = (name: keyof typeof PATTERNS) => new RegExp(PATTERNS[name], 'u');
/** Strings over the characters the rules care about: digits, signs, prefixes, whitespace, controls, astral. */
const tricky = fc
  .array(
    fc.constantFrom(
      ...'0123456789abxXoObB_+-/ \t\n\u000b\u0085\u00a0\u2028\ufeff\u0000\u001f\u007fé😀'.split(/(?:)/u),
    ),
    { maxLength: 12 },
  )
  .map((chars) => chars.join(''));

describe('core/annotations/cel.ts', () => {
  it('covers every rule id exactly once: a CEL rule, or a reason it is not expressible', () => {
    const covered = CEL_RULES.map((r) => r.ruleId);
    const excluded = Object.keys(NOT_EXPRESSIBLE);
    expect(new Set(covered).size).toBe(covered.length);
    expect(covered.filter((id) => excluded.includes(id))).toEqual([]);
    expect([...covered, ...excluded].sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
  });

  it('PATTERNS.dnsLabel is what core/names calls a Consul DNS name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9\-_.é]{0,70}$/), (s) => {
        expect(js('dnsLabel').test(s)).toBe(isConsulDnsName(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('covers every error rule but the one the API server enforces itself', () => {
    const errors = ALL_RULES.filter((r) => r.severity === 'error').map((r) => r.id);
    expect(errors.filter((id) => !CEL_RULES.some((r) => r.ruleId === id))).toEqual([
      'annotation/not-a-string',
    ]);
  });

  it('PATTERNS.goInt accepts exactly the Go integer literals (the rules emulation)', () => {
    fc.assert(
      fc.property(tricky, (s) => js('goInt').test(s) === (goIntLiteral(s) !== undefined)),
      { numRuns: 3000 },
    );
    for (const s of ['0x1F90', '010', '+80', '1_000', '0b1', '-0x_5', '0_7'])
      expect(js('goInt').test(s)).toBe(true);
    for (const s of ['0x', '1_', '1__0', '0x_', '08', '--1', '']) expect(js('goInt').test(s)).toBe(false);
  });

  it('PATTERNS.goZero and goPort tell a Go literal of 0 and of 1-65535 apart, as the emulation values them', () => {
    // Literals near the limits of each base, and arbitrary ones.
    const near = fc.oneof(
      fc.integer({ min: -3, max: 70_000 }),
      fc.constantFrom(65534, 65535, 65536, 1 << 20, 0),
    );
    const literal = fc.oneof(
      near.chain((n) =>
        fc.constantFrom(
          `0x${n.toString(16)}`,
          `0X00${n.toString(16).toUpperCase()}`,
          `0o${n.toString(8)}`,
          `0${n.toString(8)}`,
          `0b${n.toString(2)}`,
          `+${n}`,
          String(n).replace(/^(\d)/, '$1_'),
          `0x_${n.toString(16)}`,
        ),
      ),
      tricky,
    );
    fc.assert(
      fc.property(literal, (s) => {
        const value = goIntLiteral(s);
        if (value === undefined) return;
        expect(js('goZero').test(s)).toBe(value === BigInt(0));
        const stripped = s.replace(/_/g, '').replace('+', '');
        expect(js('goPort').test(stripped)).toBe(value >= BigInt(1) && value <= BigInt(65535));
      }),
      { numRuns: 5000 },
    );
  });

  it('PATTERNS.portName is what Kubernetes accepts as a Service port name (DNS-1123 label)', () => {
    for (const s of ['http', 'h2c', 'grpc-web', 'a', '8080', 'x'.repeat(63)])
      expect(js('portName').test(s)).toBe(true);
    for (const s of ['HTTP', 'not a port!', '-a', 'a-', 'a_b', '', 'x'.repeat(64)])
      expect(js('portName').test(s)).toBe(false);
  });

  it('PATTERNS.blank / leading / trailing follow String.prototype.trim', () => {
    fc.assert(
      fc.property(tricky, (s) => {
        expect(js('blank').test(s)).toBe(s.trim() === '');
        const lead = js('leading').exec(s)![0].length;
        const trail = js('trailing').exec(s)![0].length;
        if (s.trim() !== '') expect(s.length - lead - trail).toBe(s.trim().length);
      }),
      { numRuns: 3000 },
    );
  });

  it('PATTERNS.nameBad finds a control character or "/" inside the trimmed value', () => {
    fc.assert(
      fc.property(tricky, (s) => {
        // eslint-disable-next-line no-control-regex -- the rule's own class
        const expected = s.trim() !== '' && /[\u0000-\u001f\u007f-\u009f/]/.test(s.trim());
        expect(js('nameBad').test(s)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('celString writes CEL literals: escapes quotes, backslashes and every non-printable character', () => {
    expect(celString("a'b\\c")).toBe("'a\\'b\\\\c'");
    expect(celString('\u0000\u00a0😀')).toBe("'\\u0000\\u00a0\\U0001f600'");
  });
});

describe('the policy corpus (test/support/policy), webhook side', () => {
  it.each(POLICY_CORPUS.map((c) => [c.title, c] as const))(
    '%s raises the rules it names, each message with the reason the policy repeats',
    (_title, c) => {
      const { findings } = analyzeService(serviceFor(c, 'web', 'shop', c.annotations));
      expect(findings.map((f) => f.rule).sort()).toEqual([...c.rules].sort());
      for (const f of findings) if (CEL_REASONS[f.rule]) expect(f.message).toContain(CEL_REASONS[f.rule]);
    },
  );

  it('every covered rule has a reason and a corpus case', () => {
    for (const rule of CEL_RULES) {
      expect(CEL_REASONS[rule.ruleId]).toBeTruthy();
      expect(POLICY_CORPUS.some((c) => c.rules.includes(rule.ruleId))).toBe(true);
    }
  });
});
