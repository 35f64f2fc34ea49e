/**
 * AdmissionReview v1 in, AdmissionReview v1 out: the webhook's decision, pure (no I/O).
 * CREATE and UPDATE of core/v1 Services are checked with the shared annotation rules; everything
 * else (DELETE, CONNECT, subresources, other kinds) is allowed untouched.
 */
import { analyzeService } from '../core/annotations';
import type { AnalyzeOptions, Finding, ServiceLike } from '../core/annotations';
import type { KeepSpec } from '../core/json/select';
import { fitWarnings } from './warnings';

const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
const ADMISSION_KIND = 'AdmissionReview';
/** Errors listed one per line in a denial; the rest are counted on a last line. */
const MAX_DENIAL_LINES = 20;

export type Mode = 'enforce' | 'warn';
export const MODES: readonly Mode[] = ['enforce', 'warn'];

interface GroupVersionKind {
  group?: string;
  version?: string;
  kind?: string;
}

export interface AdmissionRequest {
  uid: string;
  kind?: GroupVersionKind;
  subResource?: string;
  operation?: string;
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
}

interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: {
    status: 'Failure';
    code: number;
    reason: string;
    message: string;
    details: { name?: string; group: string; kind: string; causes: StatusCause[] };
  };
  warnings?: string[];
}

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

/** What the review reads of a Service: large bodies are read for these members only (decide.ts). */
const SERVICE_FIELDS: KeepSpec = {
  apiVersion: true,
  kind: true,
  metadata: { name: true, namespace: true, generateName: true, annotations: true },
  spec: { type: true, ports: true, externalIPs: true },
};

/**
 * Every member of an AdmissionReview that `parseAdmissionReview` and `reviewAdmission` read, and
 * nothing else (`decide.test.ts` checks that the decision on the pruned body equals the decision
 * on the whole one). A member the review starts reading must be added here.
 */
export const REVIEWED_FIELDS: KeepSpec = {
  apiVersion: true,
  kind: true,
  request: {
    uid: true,
    kind: true,
    subResource: true,
    operation: true,
    name: true,
    namespace: true,
    object: SERVICE_FIELDS,
    oldObject: SERVICE_FIELDS,
  },
};

type ParseResult = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the envelope the API server sends; the message says which field is wrong and why. */
export function parseAdmissionReview(body: unknown): ParseResult {
  if (!isObject(body)) return { ok: false, message: 'body must be a JSON object (an AdmissionReview)' };
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== ADMISSION_KIND) {
    return {
      ok: false,
      message: `apiVersion/kind: expected ${ADMISSION_API_VERSION} ${ADMISSION_KIND}, got ${describe(body.apiVersion)} ${describe(body.kind)}`,
    };
  }
  const request = body.request;
  if (!isObject(request)) return { ok: false, message: 'request: missing; expected an object' };
  if (request.uid === undefined || request.uid === null) {
    return { ok: false, message: 'request.uid: missing; expected a non-empty string' };
  }
  if (typeof request.uid !== 'string') {
    return { ok: false, message: `request.uid: must be a string, got ${describe(request.uid)}` };
  }
  if (request.uid.length === 0) {
    return { ok: false, message: 'request.uid: empty; expected a non-empty string' };
  }
  return { ok: true, request: request as unknown as AdmissionRequest };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 60));
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
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

/** Namespace and name of the object under review, for logs (the object's own when the request lacks them). */
export function subjectOf(request: AdmissionRequest): { namespace?: string; name?: string } {
  const object = isObject(request.object)
    ? request.object
    : isObject(request.oldObject)
      ? request.oldObject
      : undefined;
  const metadata = object && isObject(object.metadata) ? object.metadata : undefined;
  const pick = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  return {
    namespace: pick(request.namespace) ?? pick(metadata?.namespace),
    name: pick(request.name) ?? pick(metadata?.name) ?? pick(metadata?.generateName),
  };
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

/** The full AdmissionReview document the API server expects back. */
export function admissionReviewOf(response: AdmissionResponse): {
  apiVersion: string;
  kind: string;
  response: AdmissionResponse;
} {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

const REVIEW_PREFIX = `{"apiVersion":"${ADMISSION_API_VERSION}","kind":"${ADMISSION_KIND}","response":`;
const ALLOWED_SUFFIX = ',"allowed":true}}';

/** Serialises the AdmissionReview answer; the common "allowed, no warnings" case is a template. */
export function serializeReview(response: AdmissionResponse): string {
  if (response.allowed && response.warnings === undefined && response.status === undefined) {
    return `${REVIEW_PREFIX}{"uid":${JSON.stringify(response.uid)}${ALLOWED_SUFFIX}`;
  }
  return `${REVIEW_PREFIX}${JSON.stringify(response)}}`;
}
