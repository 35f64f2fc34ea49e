/**
 * How the annotation checks report: the findings collector (capped per rule, one summary for the
 * rest; errors an UPDATE did not make worse marked `unchanged`) and how values and keys are shown
 * in messages (quoted, escaped, truncated without copying long values). Pure.
 */
import type { Rule } from './rules';
import type { Finding } from './types';

/** Findings kept per rule; the rest are summarised in one finding ("and N more like this"). */
export const MAX_FINDINGS_PER_RULE = 10;

/** Shows a value in a message: quoted, escaped, and short. */
export function showValue(value: string, max = 40): string {
  return JSON.stringify(truncate(value, max));
}

/**
 * Cuts to at most `max` characters (code points, so no emoji is split in half), marking the cut.
 * Reads at most `max` characters of the value, however long it is.
 */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const kept: string[] = [];
  for (const char of value) {
    if (kept.length === max) return `${kept.slice(0, max - 1).join('')}…`;
    kept.push(char);
  }
  return value;
}

/**
 * Annotation keys the API server accepts are at most 317 characters (a 253-character prefix, "/",
 * a 63-character name); longer ones (lint input, hostile requests) are cut in messages.
 */
const MAX_SHOWN_KEY = 320;

export function showKey(key: string): string {
  return truncate(key, MAX_SHOWN_KEY);
}

/** The annotations before an UPDATE and the counts they reached, for ratcheting. */
export interface Previous {
  annotations: Record<string, unknown>;
  metaPairs: MetaPairs;
}

/** Meta pairs per instance: as consul-k8s counts them, and with this registrar's own keys. */
export interface MetaPairs {
  consulK8s: number;
  registrar: number;
}

type Message = string | (() => string);

interface Group {
  kept: number;
  omitted: number;
  first?: Finding;
  sameAnnotation: boolean;
}

/** Collects findings: caps them per rule and marks errors an UPDATE did not make worse. */
export class Findings {
  private readonly kept: Finding[] = [];
  private readonly groups = new Map<string, Group>();
  /** Errors raised so far, counted before the cap (checks use it to see if they found one). */
  errors = 0;

  constructor(
    private readonly annotations: Record<string, unknown>,
    private readonly previous: Previous | undefined,
  ) {}

  /** `message` may be a function: it is then only called for findings that are kept. */
  add(rule: Rule, annotation: string, message: Message, value?: string): void {
    this.push(rule, annotation, message, value, this.valueUnchanged(annotation));
  }

  /** A count over a limit: unchanged when the UPDATE does not raise the count past the old one. */
  addCount(rule: Rule, annotation: string, message: string, count: number, previousCount?: number): void {
    const unchanged = previousCount !== undefined && count <= previousCount;
    this.push(rule, annotation, message, undefined, unchanged);
  }

  /** Count of the previous object, when there is one. */
  previousMetaPairs(): MetaPairs | undefined {
    return this.previous?.metaPairs;
  }

  list(): Finding[] {
    const summaries: Finding[] = [];
    for (const group of this.groups.values()) {
      if (group.omitted === 0 || !group.first) continue;
      const { first } = group;
      const where = group.sameAnnotation ? '' : ' on this and other annotations';
      const more = `and ${group.omitted} more like this${where} (${first.rule})`;
      summaries.push({
        rule: first.rule,
        severity: first.severity,
        annotation: first.annotation,
        message: `${showKey(first.annotation)}: ${more}`,
        omitted: group.omitted,
        ...(first.unchanged ? { unchanged: true } : {}),
      });
    }
    return summaries.length === 0 ? this.kept : [...this.kept, ...summaries];
  }

  private valueUnchanged(annotation: string): boolean {
    const before = this.previous?.annotations;
    return (
      before !== undefined &&
      Object.prototype.hasOwnProperty.call(before, annotation) &&
      before[annotation] === this.annotations[annotation]
    );
  }

  private push(
    rule: Rule,
    annotation: string,
    message: Message,
    value: string | undefined,
    unchanged: boolean,
  ) {
    if (rule.severity === 'error') this.errors++;
    const ratcheted = unchanged && rule.severity === 'error';
    const key = ratcheted ? `${rule.id}|unchanged` : rule.id;
    let group = this.groups.get(key);
    if (!group) {
      group = { kept: 0, omitted: 0, sameAnnotation: true };
      this.groups.set(key, group);
    }
    if (group.kept < MAX_FINDINGS_PER_RULE || !group.first) {
      const finding: Finding = {
        rule: rule.id,
        severity: rule.severity,
        annotation,
        ...(value === undefined ? {} : { value: truncate(value, 64) }),
        message: `${showKey(annotation)}: ${typeof message === 'string' ? message : message()}`,
        ...(ratcheted ? { unchanged: true } : {}),
      };
      if (group.kept < MAX_FINDINGS_PER_RULE) {
        group.kept++;
        this.kept.push(finding);
        return;
      }
      group.first = finding;
    } else if (group.first.annotation !== annotation) {
      group.sameAnnotation = false;
    }
    group.omitted++;
  }
}
