/**
 * Emulations of the Go standard-library parsers (strconv) consul-k8s applies to annotation values
 * and flags, so a finding can say exactly what consul-k8s would have made of a value. Shared by
 * the annotation rules, the Consul environment and the flag parsers; imports nothing.
 */

const GO_BOOLS: Readonly<Record<string, boolean>> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

/** Go `strconv.ParseBool`: undefined when Go would return an error. */
export function goParseBool(value: string): boolean | undefined {
  return Object.prototype.hasOwnProperty.call(GO_BOOLS, value) ? GO_BOOLS[value] : undefined;
}

/**
 * The value of a Go integer literal as `strconv.ParseInt(value, 0, 0)` reads it: base from the
 * prefix (0x, 0o, 0b, leading 0 = octal; upper or lower case), optional sign, underscores only
 * between digits or after a prefix. Undefined when the syntax is not a Go integer literal. Exact
 * (a bigint) and without Go's int64 limit: callers range-check the value themselves.
 */
export function goIntLiteral(value: string): bigint | undefined {
  const match = /^([+-]?)(0[xX]_?[0-9a-fA-F_]+|0[oO]_?[0-7_]+|0[bB]_?[01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(
    value,
  );
  if (!match) return undefined;
  const [, sign, body = ''] = match;
  if (body.includes('_') && (body.endsWith('_') || body.includes('__'))) return undefined;
  const digits = body.replace(/_/g, '');
  let magnitude: bigint;
  if (/^0[xXoObB]/.test(digits)) magnitude = BigInt(`0${digits[1]!.toLowerCase()}${digits.slice(2)}`);
  else if (digits.length > 1 && digits.startsWith('0')) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  return sign === '-' ? -magnitude : magnitude;
}

const INT64_MAX = BigInt('9223372036854775807');

/** Whether Go's int64 (the range of ParseInt with bit size 0 and of Atoi on 64-bit) holds the value. */
export function fitsInt64(value: bigint): boolean {
  return value <= INT64_MAX && value >= -INT64_MAX - BigInt(1);
}

/**
 * Go `strconv.Atoi` (consul-k8s `getServiceWeight`): base 10 only, an optional `+` or `-`, leading
 * zeros allowed, no underscores, within int64. Undefined when Go would return an error.
 */
export function goAtoi(value: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined;
  const negative = value.startsWith('-');
  const unsigned = /^[+-]/.test(value) ? value.slice(1) : value;
  let first = 0;
  while (first < unsigned.length - 1 && unsigned.charCodeAt(first) === 0x30) first++;
  const digits = unsigned.slice(first);
  if (digits.length > 19) return undefined;
  const magnitude = BigInt(digits);
  const signed = negative ? -magnitude : magnitude;
  return fitsInt64(signed) ? Number(signed) : undefined;
}
