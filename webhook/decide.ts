/**
 * Request body -> HTTP answer for `POST /validate`, pure: JSON parsing, the envelope check, the
 * review, the serialised AdmissionReview. Shared by the server (small bodies, on its own thread)
 * and the review worker (large bodies, off the event loop), so both answer alike.
 */
import type { Finding } from '../core/annotations';
import {
  type Operation,
  type ReviewOptions,
  type Verdict,
  parseAdmissionReview,
  reviewAdmission,
  serializeReview,
  subjectOf,
} from './review';

/** What the server needs to log and count an answered review. */
export interface DecidedReview {
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

export function decide(text: string, options: ReviewOptions): Decision {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'request body is not valid JSON' };
  }
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
