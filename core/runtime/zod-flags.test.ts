import { z } from 'zod';
import { duration, goBool, parsedBy, parseOptions, validateOptions } from './zod-flags';

const even = (value: string): number => {
  const number = Number(value);
  if (number % 2 !== 0) throw new Error(`"${value}" is not even`);
  return number;
};

const schema = z
  .object({ count: parsedBy(even, '--count: '), name: z.string().default('x') })
  .superRefine((o, ctx) => {
    if (o.name === 'bad') ctx.addIssue({ code: 'custom', message: '--name: bad' });
  });

describe('zod-flags', () => {
  test('parsedBy turns the parser result into the value, and its error into an issue', () => {
    expect(validateOptions(schema, { count: '4', name: undefined })).toEqual({
      ok: true,
      data: { count: 4, name: 'x' },
    });
    expect(validateOptions(schema, { count: '3' })).toEqual({
      ok: false,
      problems: ['--count: "3" is not even'],
    });
  });

  test('a parsedBy issue does not hide the rules between fields', () => {
    expect(validateOptions(schema, { count: '3', name: 'bad' })).toEqual({
      ok: false,
      problems: ['--count: "3" is not even', '--name: bad'],
    });
  });

  test('parseOptions throws every problem in one error', () => {
    expect(() => parseOptions(schema, { count: '1', name: 'bad' }, (m) => new RangeError(m))).toThrow(
      new RangeError('--count: "1" is not even; --name: bad'),
    );
  });

  test('a bad Go bool or duration does not hide the rules between fields either', () => {
    const flags = z
      .object({ watch: goBool('--watch'), lease: duration('--lease', 2000), repo: z.string().optional() })
      .superRefine((o, ctx) => {
        if (o.repo === undefined) ctx.addIssue({ code: 'custom', message: '--repo: required' });
      });
    expect(validateOptions(flags, { watch: 'maybe', lease: '1s' })).toEqual({
      ok: false,
      problems: [
        '--watch: "maybe" is not a boolean (use true or false)',
        '--lease: "1s" is too short (at least 2000 ms)',
        '--repo: required',
      ],
    });
    expect(validateOptions(flags, { watch: 'f', lease: '3s', repo: 'r' })).toEqual({
      ok: true,
      data: { watch: false, lease: 3000, repo: 'r' },
    });
  });
});
