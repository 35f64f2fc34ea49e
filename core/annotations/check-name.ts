/**
 * The `service-name` check: the Consul service name a Service asks for, trimmed, with the errors
 * that skip the Service (empty, too long, "/" or control characters) and the warnings that do not
 * (surrounding whitespace, not a DNS label). Pure.
 */
import { SERVICE_NAME } from './keys';
import { RULES } from './rules';
import { isConsulDnsName } from '../names/dns';
import { showValue, type Findings } from './findings';
import type { SyncIntent } from './types';

export const MAX_NAME_LENGTH = 255;

export function checkName(value: string, out: Findings): Pick<SyncIntent, 'name' | 'skipReason'> {
  const trimmed = value.trim();
  const shown = showValue(value);
  const errorsBefore = out.errors;
  if (trimmed === '') {
    out.add(
      RULES.nameEmpty,
      SERVICE_NAME,
      'is empty; give a Consul service name or remove the annotation',
      value,
    );
  } else {
    if (trimmed.length > MAX_NAME_LENGTH) {
      out.add(
        RULES.nameTooLong,
        SERVICE_NAME,
        `${shown} is ${trimmed.length} characters long; the limit is ${MAX_NAME_LENGTH}`,
        value,
      );
    }
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    const bad = /[\u0000-\u001f\u007f-\u009f/]/.exec(trimmed);
    if (bad) {
      const what =
        bad[0] === '/'
          ? '"/"'
          : `a control character (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
      out.add(
        RULES.nameInvalidCharacter,
        SERVICE_NAME,
        `${shown} contains ${what}; use letters, digits and hyphens`,
        value,
      );
    }
  }
  if (out.errors > errorsBefore) {
    return { skipReason: `invalid ${SERVICE_NAME} ${shown}` };
  }
  if (trimmed !== value) {
    out.add(
      RULES.nameWhitespace,
      SERVICE_NAME,
      `${shown} has surrounding whitespace; it is trimmed to ${showValue(trimmed)}`,
      value,
    );
  }
  if (!isConsulDnsName(trimmed)) {
    out.add(
      RULES.nameNotDnsLabel,
      SERVICE_NAME,
      `${showValue(trimmed)} is not a DNS label (letters, digits, hyphens, max 63); Consul DNS cannot resolve it`,
      value,
    );
  }
  return { name: trimmed };
}
