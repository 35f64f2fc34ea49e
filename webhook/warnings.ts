/**
 * The warning budget: what the webhook returns in `response.warnings` must reach kubectl whole.
 * The API server (apiserver/pkg/endpoints/filters/warning.go) counts each warning as its HTTP
 * header `299 - "<text>"`, keeps 4096 bytes of them in total per request (then cuts each to 256
 * runes and drops the rest), and the docs advise under 120 characters each. So: each warning is
 * shortened to MAX_WARNING_LENGTH at a phrase boundary (never inside a number or a word), the most
 * important come first, and when the budget is spent the last warning says how many were left out.
 * Pure.
 */

/** kubectl prints each warning on one line; Kubernetes advises keeping them under 120 characters. */
export const MAX_WARNING_LENGTH = 119;
/** The API server's total for all warnings of a request, in header bytes. */
export const API_SERVER_WARNINGS_BYTES = 4096;
/** Our share of it: the rest stays free for other webhooks and deprecation warnings of the request. */
const WARNINGS_BUDGET_BYTES = API_SERVER_WARNINGS_BYTES - 512;

/** Bytes the API server counts for one warning: `299 - "` + escaped UTF-8 text + `"`. */
export function warningHeaderBytes(text: string): number {
  let escapes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes++;
  }
  return 8 + Buffer.byteLength(text, 'utf8') + escapes;
}

/** Where a message may be cut: after a phrase (`; `, `, `, `: `) or, failing that, a word. */
function cutPoint(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  let phrase = -1;
  for (const separator of ['; ', ', ', ': ', ' (']) {
    const at = window.lastIndexOf(separator);
    // A separator ending at the limit still leaves its first character inside.
    if (at > phrase && at <= limit) phrase = at;
  }
  // A phrase boundary wins unless it throws away most of the message.
  if (phrase >= limit / 2) return phrase;
  const word = window.lastIndexOf(' ');
  return word > 0 ? word : limit;
}

/**
 * One line of at most `max` UTF-16 code units (never fewer characters than that), cut at a phrase
 * or word boundary with `…`, never inside a number, a word or a surrogate pair.
 */
export function shortWarning(text: string, max = MAX_WARNING_LENGTH): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (flat.length <= max) return flat;
  let at = cutPoint(flat, max - 1);
  // A hard cut (no space at all) must not split a surrogate pair.
  const code = flat.charCodeAt(at - 1);
  if (code >= 0xd800 && code <= 0xdbff) at--;
  return `${flat.slice(0, at).replace(/[\s;,:(]+$/, '')}…`;
}

/** The last warning when some were left out. */
function moreWarnings(n: number): string {
  return `and ${n} more; run consul-k8s-gitops lint on the manifest to see all`;
}

/**
 * Fits the warnings, already in order of importance, into the budget. When some must go (or
 * `alreadyOmitted` findings were left out before, by the rules' cap), the last line says how many
 * in all ("and N more"), and it always fits.
 */
export function fitWarnings(texts: string[], alreadyOmitted = 0, budget = WARNINGS_BUDGET_BYTES): string[] {
  const lines = texts.map((text) => shortWarning(text));
  const total = lines.reduce((sum, line) => sum + warningHeaderBytes(line), 0);
  if (total <= budget && alreadyOmitted === 0) return lines;
  const reserve = warningHeaderBytes(moreWarnings(Number.MAX_SAFE_INTEGER));
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const size = warningHeaderBytes(line);
    if (used + size + reserve > budget) break;
    kept.push(line);
    used += size;
  }
  kept.push(moreWarnings(lines.length - kept.length + alreadyOmitted));
  return kept;
}
