/**
 * CEL building blocks for the policy fragments: string literals, the regex sources the rules and
 * CEL share (RE2 and JavaScript `u` read them alike), and CEL expressions that measure, trim and
 * show a string the way the webhook does. Pure data and string builders.
 */
import { PORT_NAME } from './ports';

/** A CEL string literal holding `text` exactly (regex sources included). */
export function celString(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code > 0xffff) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `'${out}'`;
}

/** What JavaScript's `String.prototype.trim` removes (the rules trim with it), as a regex class body. */
const JS_WHITESPACE = '\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
/** Any character (RE2 and JavaScript `u` agree on this class). */
const ANY = '[\u0000-\u{10ffff}]';

/** Regex sources (RE2 and JavaScript `u` read them alike); exported for the agreement tests. */
export const PATTERNS = {
  blank: `^[${JS_WHITESPACE}]*$`,
  leading: `^[${JS_WHITESPACE}]*`,
  trailing: `[${JS_WHITESPACE}]*$`,
  astral: '[\u{10000}-\u{10ffff}]',
  /** A control character or "/" inside the trimmed value (the ones that are whitespace only between other characters). */
  nameBad: `[\u0000-\u0008\u000e-\u001f\u007f-\u009f/]|[^${JS_WHITESPACE}]${ANY}*[\t-\r]${ANY}*[^${JS_WHITESPACE}]`,
  decimal: '^(0|[1-9][0-9]*)$',
  /** Go strconv.ParseInt base 0 syntax (sign, 0x/0o/0b/0 prefixes, underscores between digits). */
  goInt: '^[+-]?(0[xX](_?[0-9a-fA-F])+|0[oO](_?[0-7])+|0[bB](_?[01])+|0(_?[0-7])*|[1-9](_?[0-9])*)$',
  goNegative: '^-',
  /** `-0`, `-0x0`, `-0_0`…: negative zero, which Go reads as 0 (not negative). */
  goNegativeZero: '^-0[xXoObB]?[0_]*$',
  /** A Go integer literal (given one) whose value is 0: `0`, `00`, `0x0`, `-0`, `+0_0`… */
  goZero: '^[+-]?0[xXoObB]?[0_]*$',
  /** A Go integer literal from 1 to 65535, once `_` and `+` are removed (CEL's int() reads decimal only). */
  goPort:
    '^(0[xX]0*[1-9a-fA-F][0-9a-fA-F]{0,3}|0[bB]0*1[01]{0,15}|0[oO]?0*(1[0-7]{0,5}|[2-7][0-7]{0,4})|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
  /** What Kubernetes accepts as a Service port name (core/annotations/ports PORT_NAME). */
  portName: PORT_NAME.source,
  metaKey: '^[A-Za-z0-9_-]+$',
  /** Go strconv.Atoi syntax (consul-k8s reads weights with it): base 10, optional sign, leading zeros. */
  atoi: '^[+-]?[0-9]+$',
  /** An Atoi value from 1 to 99999 (at most five significant digits), so CEL's int() cannot overflow. */
  weightSmall: '^[+]?0*[1-9][0-9]{0,4}$',
  /** An Atoi value of 1 or more. */
  weightPositive: '^[+]?0*[1-9][0-9]*$',
  /** The significant digits of an Atoi value. */
  significant: '[1-9][0-9]*$',
  /** What Consul DNS resolves (core/names isConsulDnsName). */
  dnsLabel: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
} as const;

export const re = (name: keyof typeof PATTERNS) => celString(PATTERNS[name]);

/** CEL: the value shown as the webhook shows it (quoted, cut to 40 characters with "…"). */
export const show = (v: string) => `('"' + (${v}.size() > 40 ? ${v}.substring(0, 39) + '…' : ${v}) + '"')`;
/** CEL: JavaScript `length` (UTF-16 code units) of a string. */
const utf16 = (v: string) => `(${v}.size() + ${v}.findAll(${re('astral')}).size())`;
/** CEL: Go `len` (UTF-8 bytes) of a string, as Consul counts meta values. */
export const utf8 = (v: string) => `bytes(${v}).size()`;
export const trimmedUtf16 = (v: string) =>
  `(${utf16(v)} - ${v}.find(${re('leading')}).size() - ${v}.find(${re('trailing')}).size())`;
export const blank = (v: string) => `${v}.matches(${re('blank')})`;

/** CEL: the value trimmed as JavaScript trims it. */
export const trimmed = (v: string) =>
  `${v}.substring(${v}.find(${re('leading')}).size(), ${v}.size() - ${v}.find(${re('trailing')}).size())`;
