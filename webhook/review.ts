/**
 * AdmissionReview v1 in, AdmissionReview v1 out: the webhook's decision, pure (no I/O).
 * CREATE and UPDATE of core/v1 Services are checked with the shared annotation rules; everything
 * else (DELETE, CONNECT, subresources, other kinds) is allowed untouched.
 */
import { analyzeService } from '../core/annotations';
import type { AnalyzeOptions, Finding, ServiceLike } from '../core/annotations';
import { type AdmissionRequest, type AdmissionResponse, isObject } from './admission';
import { fitWarnings } from './warnings';

/** Errors listed one per line in a denial; the rest are counted on a last line. */
const MAX_DENIAL_LINES = 20;

export type Mode = 'enforce' | 'warn';
export const MODES: readonly Mode[] = ['enforce', 'warn'];

/** Label values for metrics: bounded sets only. */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | 'other';
export type Verdict = 'allowed' | 'warned' | 'denied' | 'skipped';

export interface ReviewOptions {
  mode: Mode;
  analyze?: AnalyzeOptions;
}

interface ReviewOutcome {
  response: AdmissionResponse;
  operation: Operation;
  verdict: Verdict;
  /** Every finding of the analysis (empty when the request was not checked). */
  findings: Finding[];
  /** Rules of the errors that denied the request (empty unless verdict is `denied`). */
  deniedRules: string[];
}

function operationOf(request: AdmissionRequest): Operation {
  const op = request.operation;
  return op === 'CREATE' || op === 'UPDATE' || op === 'DELETE' || op === 'CONNECT' ? op : 'other';
}

function isService(request: AdmissionRequest): boolean {
  const kind = request.kind;
  if (isObject(kind)) return kind.kind === 'Service' && (kind.group ?? '') === '';
  const object = request.object;
  return isObject(object) && object.kind === 'Service' && object.apiVersion === 'v1';
}

function annotationsOf(object: unknown): Record<string, unknown> | undefined {
  if (!isObject(object) || !isObject(object.metadata)) return undefined;
  const annotations = object.metadata.annotations;
  return isObject(annotations) ? annotations : undefined;
}

/** `metadata.annotations[<key>]`: the path kubectl and the API server use for annotation errors. */
export function annotationField(key: string): string {
  return `metadata.annotations[${key}]`;
}

function allow(
  request: AdmissionRequest,
  operation: Operation,
  verdict: Verdict,
  findings: Finding[],
  warnings: string[],
): ReviewOutcome {
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (warnings.length > 0) response.warnings = warnings;
  return { response, operation, verdict, findings, deniedRules: [] };
}

/**
 * On CREATE the object often has no namespace yet (the API server fills it from the URL); the
 * "will it be synced" checks need it. Copied only when those checks are on.
 */
function withNamespace(
  service: ServiceLike,
  namespace: string | undefined,
  options: ReviewOptions,
): ServiceLike {
  if (!options.analyze?.syncSettings || !namespace || service.metadata?.namespace) return service;
  return { ...service, metadata: { ...service.metadata, namespace } };
}

/** Decides one admission request. Never throws for any request the parser accepted. */
export function reviewAdmission(request: AdmissionRequest, options: ReviewOptions): ReviewOutcome {
  const operation = operationOf(request);
  const checked =
    (operation === 'CREATE' || operation === 'UPDATE') && !request.subResource && isService(request);
  if (!checked || !isObject(request.object)) return allow(request, operation, 'skipped', [], []);

  const service = withNamespace(request.object as ServiceLike, request.namespace, options);
  // Ratcheting (in the rules): on UPDATE, errors the old object already had are marked unchanged.
  const previous =
    operation === 'UPDATE' && annotationsOf(request.oldObject) !== undefined
      ? (request.oldObject as ServiceLike)
      : undefined;
  const { findings } = analyzeService(service, { ...options.analyze, ...(previous ? { previous } : {}) });
  if (findings.length === 0) return allow(request, operation, 'allowed', findings, []);

  const blocking: Finding[] = [];
  // Most important first: errors that do not deny, then warnings (each in the rules' order). The
  // rules' summaries ("and N more like this") become part of the last line's count.
  const texts: string[] = [];
  let omitted = 0;
  const warn = (finding: Finding, prefix: string): void => {
    if (finding.omitted !== undefined) omitted += finding.omitted;
    else texts.push(`${prefix}${finding.message}`);
  };
  for (const finding of findings) {
    if (finding.severity !== 'error') continue;
    if (options.mode === 'warn') warn(finding, 'error (warn mode): ');
    else if (finding.unchanged) warn(finding, 'error (unchanged): ');
    else blocking.push(finding);
  }
  for (const finding of findings) {
    if (finding.severity === 'warning') warn(finding, '');
  }
  const warnings = fitWarnings(texts, omitted);
  if (blocking.length === 0)
    return allow(request, operation, warnings.length > 0 ? 'warned' : 'allowed', findings, warnings);

  const name = request.name ?? service.metadata?.name;
  const response: AdmissionResponse = {
    uid: request.uid,
    allowed: false,
    // Not reason "Invalid": kubectl prints an Invalid status from its causes only, dropping the
    // message and with it the webhook's name. A BadRequest status is printed as
    // `Error from server (BadRequest): … admission webhook "<name>" denied the request: <message>`.
    status: {
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      message: denialMessage(name, blocking),
      details: {
        ...(name ? { name } : {}),
        group: '',
        kind: 'Service',
        causes: blocking.map((finding) => ({
          reason: 'FieldValueInvalid',
          message: withoutKey(finding),
          field: annotationField(finding.annotation),
        })),
      },
    },
  };
  if (warnings.length > 0) response.warnings = warnings;
  return {
    response,
    operation,
    verdict: 'denied',
    findings,
    deniedRules: [...new Set(blocking.map((f) => f.rule))],
  };
}

/** A cause's message: the finding's message without the key, which the cause's field names. */
function withoutKey(finding: Finding): string {
  const colon = finding.message.indexOf(': ');
  return colon >= 0 ? finding.message.slice(colon + 2) : finding.message;
}

/**
 * One error: on the line of kubectl's "denied the request: ". Several: a heading, then one line per
 * error ("- <annotation>: <problem>"), at most MAX_DENIAL_LINES, then how many more.
 */
function denialMessage(name: string | undefined, errors: Finding[]): string {
  if (errors.length === 1 && errors[0]!.omitted === undefined) return errors[0]!.message;
  const total = errors.reduce((sum, f) => sum + 1 + (f.omitted ?? 0), 0);
  const subject = name ? `Service "${name}"` : 'the Service';
  const lines = errors.slice(0, MAX_DENIAL_LINES).map((f) => `- ${f.message}`);
  const listed = errors.slice(0, MAX_DENIAL_LINES).reduce((sum, f) => sum + 1 + (f.omitted ?? 0), 0);
  if (total > listed) lines.push(`- and ${total - listed} more`);
  return [`${subject} has ${total} annotation errors:`, ...lines].join('\n');
}
