import { z } from 'zod';
import { parsedBy, parseOptions, validateOptions } from './zod-flags';

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
});
