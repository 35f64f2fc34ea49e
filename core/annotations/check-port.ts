/**
 * The `service-port` check: which port a Service's annotation chooses, read as consul-k8s reads it
 * (a Go integer literal, 0 for none, otherwise a port name), with what may surprise as warnings and
 * what no port can be as errors. Pure.
 */
import { SERVICE_PORT } from './keys';
import { fitsInt64, goIntLiteral } from '../go/strconv';
import { PORT_NAME, servicePortNumber, servicePorts } from './ports';
import { RULES } from './rules';
import { showValue, type Findings } from './findings';
import type { PortChoice, ServiceLike } from './types';

const MAX_PORT = 65535;

/** What consul-k8s registers for a number outside 1-65535 (ParseInt fails beyond int64: a port name). */
function consulK8sReading(value: bigint): string {
  return fitsInt64(value)
    ? `consul-k8s would register port ${value}`
    : 'consul-k8s would read it as a port name that matches nothing and register the first Service port';
}

/**
 * `service-port` as consul-k8s reads it: a Go integer literal (ParseInt base 0) is that port, 0 is
 * "no port given", anything else is a port name, and a name matching no port gives the first
 * Service port. Readings that may surprise are warnings saying what to write; values no port can
 * have (out of range, or unable to name a port) are errors, and the default applies.
 */
export function checkPort(value: string, service: ServiceLike, out: Findings): PortChoice | undefined {
  const shown = showValue(value);
  // consul-k8s: ParseInt("") fails and no port is named "", so the default is used, as when the
  // annotation is absent (Helm renders empty defaults like this).
  if (value === '') return undefined;
  if (value.trim() === '') {
    out.add(
      RULES.portEmpty,
      SERVICE_PORT,
      'is whitespace only; use a port number 1-65535 or a port name',
      value,
    );
    return undefined;
  }
  const ports = servicePorts(service);
  // consul-k8s reads service-port only on a Service with ports.
  const choice = (port: PortChoice) => (ports.length > 0 ? port : undefined);
  const literal = goIntLiteral(value);
  if (literal !== undefined) {
    const decimal = /^(0|[1-9][0-9]*)$/.test(value);
    if (literal === BigInt(0)) {
      // consul-k8s: port 0 means "not set": the default is used.
      const read = decimal ? '' : `${shown} is 0, and `;
      out.add(
        RULES.portZero,
        SERVICE_PORT,
        `${read}0 means the first port (as in consul-k8s); remove it or name a port`,
        value,
      );
      return undefined;
    }
    if (literal < BigInt(1) || literal > BigInt(MAX_PORT)) {
      const what = literal < BigInt(0) ? 'negative' : 'out of range';
      out.add(
        RULES.portOutOfRange,
        SERVICE_PORT,
        `${shown} is ${what} (${consulK8sReading(literal)}); use a port number 1-65535 or a port name`,
        value,
      );
      return undefined;
    }
    const number = Number(literal);
    if (!decimal) {
      out.add(
        RULES.portNotDecimal,
        SERVICE_PORT,
        `${shown} is not a decimal number: consul-k8s parses Go integer literals and reads it as ${number}, which is registered; write "${number}"`,
        value,
      );
    } else if (!ports.some((p) => p.port === number || p.targetPort === number || p.nodePort === number)) {
      out.add(
        RULES.portNotDeclared,
        SERVICE_PORT,
        `${number} is not a port, targetPort or nodePort of this Service`,
        value,
      );
    }
    return choice({ kind: 'number', number });
  }
  const names = ports.map((p) => p.name).filter((n): n is string => typeof n === 'string' && n !== '');
  if (names.includes(value)) return { kind: 'name', name: value };
  const declared = names.length > 0 ? `declared: ${names.join(', ')}` : 'the Service has no named ports';
  if (!PORT_NAME.test(value)) {
    out.add(
      RULES.portInvalid,
      SERVICE_PORT,
      `${shown} is neither a port number nor a port name (port names are lowercase letters, digits and "-"; ${declared}); use a port number 1-65535 or a port name`,
      value,
    );
    return undefined;
  }
  const first = servicePortNumber(service, undefined);
  const reading =
    ports.length === 0
      ? 'the Service has no ports, and consul-k8s ignores the annotation'
      : `consul-k8s registers the first Service port, ${first}, on every instance (endpoint instances too, instead of their endpoint port), and so does the registrar; write "${first}" to keep that${names.length > 0 ? `, or one of ${names.join(', ')}` : ''}`;
  out.add(
    RULES.portUnknownName,
    SERVICE_PORT,
    `${shown} matches no port name (${declared}); ${reading}`,
    value,
  );
  return choice({ kind: 'name', name: value });
}
