/**
 * The AdmissionReview v1 envelope, pure (no I/O): its types, which members the webhook reads
 * (REVIEWED_FIELDS), the check of the request the API server sends, who the request is about, and
 * the serialised answer. The decision itself is review.ts.
 */
import type { KeepSpec } from '../core/json/select';

const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
const ADMISSION_KIND = 'AdmissionReview';

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

export interface AdmissionResponse {
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

export function isObject(value: unknown): value is Record<string, unknown> {
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
