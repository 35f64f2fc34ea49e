/**
 * Request body -> HTTP answer for `POST /validate`, pure: JSON parsing (whole, or for large bodies
 * only what the review reads), the envelope check, the review, the serialised AdmissionReview.
 * Shared by the server (small bodies, on its own thread) and the review worker (large bodies, off
 * the event loop), so both answer alike.
 */
import type { Finding } from '../core/annotations';
import { JsonSelectError, pruneJson } from '../core/json/select';
import { parseAdmissionReview, REVIEWED_FIELDS, serializeReview, subjectOf } from './admission';
import { type Operation, type ReviewOptions, type Verdict, reviewAdmission } from './review';

/** What the server needs to log and count an answered review. */
interface DecidedReview {
  uid: string;
  namespace?: string;
  name?: string;
  operation: Operation;
  verdict: Verdict;
  findings: Finding[];
  deniedRules: string[];
}

export type Decision =
  { ok: true; body: string; review: DecidedReview } | { ok: false; status: number; message: string };

/** Decides a body parsed whole (small bodies, on the server's thread). */
export function decide(text: string, options: ReviewOptions): Decision {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  return decideParsed(parsed, options);
}

/**
 * Decides a large body from the members the review reads (REVIEWED_FIELDS): the rest (managed
 * fields, status, a hostile pile of objects) is scanned past, never built, so the heap a review
 * needs follows what it reads, not the body's size. Skipped members are not checked for JSON
 * syntax; the API server only sends well-formed bodies.
 */
export function decideLarge(body: Buffer, options: ReviewOptions): Decision {
  let parsed: unknown;
  try {
    parsed = pruneJson(body, REVIEWED_FIELDS);
  } catch (error) {
    if (error instanceof JsonSelectError || error instanceof SyntaxError) return NOT_JSON;
    throw error;
  }
  return decideParsed(parsed, options);
}

const NOT_JSON: Decision = { ok: false, status: 400, message: 'request body is not valid JSON' };

function decideParsed(parsed: unknown, options: ReviewOptions): Decision {
  const envelope = parseAdmissionReview(parsed);
  if (!envelope.ok) return { ok: false, status: 400, message: `not an AdmissionReview: ${envelope.message}` };
  const outcome = reviewAdmission(envelope.request, options);
  return {
    ok: true,
    body: serializeReview(outcome.response),
    review: {
      uid: envelope.request.uid,
      ...subjectOf(envelope.request),
      operation: outcome.operation,
      verdict: outcome.verdict,
      findings: outcome.findings,
      deniedRules: outcome.deniedRules,
    },
  };
}
