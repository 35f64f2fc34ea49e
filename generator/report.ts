/** Human-readable views of a plan: table, unified diff, commit body, pull-request text. Pure. */
import { createTwoFilesPatch } from 'diff';
import { baseName } from './git/objects';
import { countChanges, keptNotOurs, type FileChange, type Plan, type ServiceChange } from './plan';
import type { SkippedService } from './types';
import type { CatalogGap } from './source/catalog';

/** `N added, N changed, N removed` (Services). */
export function countsLine(plan: Plan): string {
  const counts = countChanges(plan);
  return `${counts.added} added, ${counts.changed} changed, ${counts.removed} removed`;
}

/** The counts, plus the files not ours that the run kept. */
export function summaryLine(plan: Plan): string {
  const kept = keptNotOurs(plan);
  const shown = kept.length > 5 ? [...kept.slice(0, 5), `... and ${kept.length - 5} more`] : kept;
  return (
    countsLine(plan) +
    (kept.length > 0
      ? `; kept ${kept.length} file(s) not written by consul-k8s-gitops: ${shown.join(', ')}`
      : '')
  );
}

/** How a file change reads in tables. */
function fileChangeLabel(change: FileChange): string {
  if (change.kind === 'kept-not-ours') return 'kept (not ours)';
  return change.notOurs ? `${change.kind} (replaced a file not ours)` : change.kind;
}

function changedTarget(change: ServiceChange): string {
  const before = change.externalNameBefore ?? '';
  const after = change.externalNameAfter ?? '';
  if (change.kind === 'added') return `→ ${after}`;
  if (change.kind === 'removed') return `${before} →`;
  return before === after ? after : `${before} → ${after}`;
}

/**
 * Fixed-width tables: SERVICE, CHANGE, EXTERNALNAME (before → after), then FILE, CHANGE for every
 * file the run writes, removes or keeps though it is not ours; `limit` cuts long ones.
 */
export function changeTable(plan: Plan, limit = Infinity): string {
  const shown = plan.changes.length > limit ? plan.changes.slice(0, limit) : plan.changes;
  const rows = shown.map((change) => [change.k8sName, change.kind, changedTarget(change)]);
  if (shown.length < plan.changes.length)
    rows.push([`... and ${plan.changes.length - shown.length} more`, '', '']);
  const files = plan.files.length > limit ? plan.files.slice(0, limit) : plan.files;
  const fileRows = files.map((change) => [change.file, fileChangeLabel(change)]);
  if (files.length < plan.files.length)
    fileRows.push([`... and ${plan.files.length - files.length} more`, '']);
  const services = fixedWidth(['SERVICE', 'CHANGE', 'EXTERNALNAME'], rows);
  return fileRows.length > 0 ? `${services}\n${fixedWidth(['FILE', 'CHANGE'], fileRows)}` : services;
}

function fixedWidth(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const format = (row: string[]): string =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n') + '\n';
}

/** Unified diff of every file the plan writes or deletes, paths shown relative to the repository. */
export function unifiedDiff(plan: Plan, previous: ReadonlyMap<string, string>, managedPath: string): string {
  const prefix = managedPath === '' ? '' : `${managedPath}/`;
  const oldText = (file: string): string => previous.get(file) ?? '';
  const patches: [string, string][] = [];
  for (const [file, content] of plan.writes) {
    const existed = previous.has(file);
    patches.push([
      file,
      createTwoFilesPatch(
        existed ? `a/${prefix}${file}` : '/dev/null',
        `b/${prefix}${file}`,
        oldText(file),
        content,
      ),
    ]);
  }
  const written = new Set(plan.writes.map(([file]) => file));
  for (const file of plan.deletes) {
    if (written.has(file)) continue;
    patches.push([file, createTwoFilesPatch(`a/${prefix}${file}`, '/dev/null', oldText(file), '')]);
  }
  patches.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return patches.map(([, patch]) => patch.replace(/^=+\n/, '')).join('');
}

function serviceLabel(change: ServiceChange): string {
  return change.consulName && change.consulName !== change.k8sName
    ? `${change.k8sName} (Consul: ${change.consulName})`
    : change.k8sName;
}

/**
 * The commit body: every added, changed and removed Service (never cut: a pull-request body that
 * has to be cut points here for the full list), then the files kept that are not ours.
 */
export function commitBody(plan: Plan): string {
  const sections: string[] = [];
  for (const kind of ['added', 'changed', 'removed'] as const) {
    const changes = plan.changes.filter((change) => change.kind === kind);
    if (changes.length === 0) continue;
    const title = kind[0]!.toUpperCase() + kind.slice(1);
    sections.push(
      `${title} (${changes.length}):\n${changes.map((change) => `  ${serviceLabel(change)}`).join('\n')}`,
    );
  }
  if (plan.movedServiceCount > 0)
    sections.push(
      `Moved ${plan.movedServiceCount} Service file(s) to another shard directory (the layout changed with the catalog's size; the Services are the same).`,
    );
  if (sections.length === 0) sections.push('Generated files updated (no Service changed).');
  const kept = keptNotOurs(plan);
  if (kept.length > 0)
    sections.push(
      `Kept, not written by consul-k8s-gitops (${kept.length}):\n${kept.map((file) => `  ${file}`).join('\n')}`,
    );
  return `${sections.join('\n\n')}\n`;
}

export function pullRequestTitle(plan: Plan, managedPath: string): string {
  return `consul-k8s-gitops: sync ${managedPath || '.'} from Consul (${countsLine(plan)})`;
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** A body line; rows can be left out when the body must be cut, the rest cannot. */
interface BodyLine {
  text: string;
  row?: 'change' | 'skipped';
}

interface BodyBounds {
  /** The forge's limit, in characters (measured here in UTF-8 bytes, never fewer). */
  limit: number;
  /** Where the full list is, for the note of a cut body (e.g. "the commit message of abc123"). */
  fullList: string;
  /** Hidden text that ends the body and is never cut. */
  marker: string;
}

/**
 * Markdown body: the change table, the file table, then what was skipped and why, and the marker.
 * Longer than `limit`: rows are dropped from the first one that does not fit (tables stay whole
 * rows), and a note after the summary says how many and where the full list is.
 */
export function pullRequestBody(plan: Plan, skipped: readonly SkippedService[], bounds: BodyBounds): string {
  const lines = bodyLines(plan, skipped);
  const render = (kept: readonly BodyLine[]): string =>
    `${kept.map((line) => line.text).join('\n')}\n${bounds.marker}\n`;
  const full = render(lines);
  if (size(full) <= bounds.limit) return full;

  const rows = lines.filter((line) => line.row !== undefined);
  const note = (changes: number, skippedCount: number): BodyLine => ({
    text:
      `**${changes} more changes: see ${bounds.fullList}.**` +
      (skippedCount > 0 ? ` ${skippedCount} more skipped services are not shown.` : '') +
      '\n',
  });
  const noteReserve = size(note(rows.length, rows.length).text) + 1;
  let budget = bounds.limit - size(render(lines.filter((line) => line.row === undefined))) - noteReserve;
  const kept = new Set<BodyLine>();
  for (const row of rows) {
    const cost = size(row.text) + 1;
    if (cost > budget) break;
    budget -= cost;
    kept.add(row);
  }
  const left = rows.filter((row) => !kept.has(row));
  const shown = lines.filter((line) => line.row === undefined || kept.has(line));
  shown.splice(
    SUMMARY_LINES,
    0,
    note(
      left.filter((row) => row.row === 'change').length,
      left.filter((row) => row.row === 'skipped').length,
    ),
  );
  return render(shown);
}

/** Lines before the note of a cut body: the preamble and the summary. */
const SUMMARY_LINES = 4;

function size(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function bodyLines(plan: Plan, skipped: readonly SkippedService[]): BodyLine[] {
  const lines: BodyLine[] = [
    {
      text: 'Generated by consul-k8s-gitops from the Consul catalog. This pull request is updated in place on every run and closed when it is no longer needed.',
    },
    { text: '' },
    { text: `**${summaryLine(plan)}**` },
    { text: '' },
  ];
  const text = (line: string): BodyLine => ({ text: line });
  if (plan.changes.length > 0) {
    lines.push(text('| Service | Change | externalName (before → after) |'), text('| --- | --- | --- |'));
    for (const change of plan.changes)
      lines.push({
        text: `| ${markdownCell(serviceLabel(change))} | ${change.kind} | ${markdownCell(changedTarget(change))} |`,
        row: 'change',
      });
    lines.push(text(''));
  }
  if (plan.files.length > 0) {
    lines.push(
      text(`<details><summary>Files (${plan.files.length})</summary>`),
      text(''),
      text('| File | Change |'),
      text('| --- | --- |'),
    );
    for (const change of plan.files)
      lines.push({ text: `| ${markdownCell(change.file)} | ${fileChangeLabel(change)} |`, row: 'change' });
    lines.push(text(''), text('</details>'), text(''));
  }
  if (skipped.length > 0) {
    lines.push(
      text(`<details><summary>Skipped services and conflicts (${skipped.length})</summary>`),
      text(''),
    );
    for (const entry of skipped)
      lines.push({
        text: `- \`${markdownCell(entry.consulName.slice(0, 100)).replace(/`/g, "'")}\`: ${markdownCell(entry.reason)}`,
        row: 'skipped',
      });
    lines.push(text(''), text('</details>'));
  }
  return lines;
}

/** What a partial read could not see and what it kept (stderr, logs, pull requests). */
export function incompleteMessage(incomplete: {
  gaps: readonly CatalogGap[];
  kept: readonly string[];
}): string {
  const gaps = incomplete.gaps.map((gap) => `${gap.what}: ${gap.reason}`).join('; ');
  const kept = incomplete.kept.map((file) => baseName(file).replace(/\.yaml$/, ''));
  const shown = kept.length > 20 ? [...kept.slice(0, 20), `... and ${kept.length - 20} more`] : kept;
  return (
    `the Consul catalog was read only in part (${gaps}); nothing it could not see was removed` +
    (kept.length > 0 ? `: kept ${kept.length} Service(s) as committed: ${shown.join(', ')}` : '')
  );
}
