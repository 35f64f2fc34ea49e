/**
 * The generator's commit message: a template (`--commit-message-template`, placeholders written
 * `{{ .Name }}` as in Go templates) rendered from the plan and the run, then one trailer block
 * (`git interpret-trailers` format) with the catalog index, datacenter, generator version,
 * cluster ID and, with `--signoff`, `Signed-off-by:` as `git commit -s` writes it. Pure.
 */
import { countChanges, type Plan } from './plan';
import { commitBody, countsLine, pullRequestTitle } from './report';

/** Everything a message is made from. Unknown values render as empty strings. */
interface CommitContext extends CommitRun {
  datacenter?: string;
  clusterId?: string;
  version: string;
}

/** Placeholder name -> what it holds (documented in docs/generator.md and the help). */
export const COMMIT_PLACEHOLDERS = {
  Title: 'the default subject: consul-k8s-gitops: sync <path> from Consul (<summary>)',
  Body: 'the default body: the added, changed and removed Services and the files kept',
  Summary: '"N added, N changed, N removed"',
  Added: 'number of Services added',
  Changed: 'number of Services changed',
  Removed: 'number of Services removed',
  Path: '--path',
  Branch: '--branch',
  Datacenter: 'the Consul datacenter, when known',
  Index: 'the catalog index (X-Consul-Index, or the catalog file digest)',
  ClusterId: '--cluster-id, when given',
  Version: 'the generator version',
} as const;

type CommitPlaceholder = keyof typeof COMMIT_PLACEHOLDERS;

/**
 * The default template, as written on the command line (`\n` is a line break, `\\` a backslash):
 * exactly the message the generator always wrote.
 */
export const DEFAULT_COMMIT_TEMPLATE = '{{ .Title }}\\n\\n{{ .Body }}';

const PLACEHOLDER = /\{\{\s*\.([A-Za-z]+)\s*\}\}/g;

/** A template split into literal text and placeholders (validated). */
export type CommitTemplate = readonly (string | { placeholder: CommitPlaceholder })[];

/**
 * Parses a template (`\n` is a line break, `\\` a backslash); an unknown placeholder or any other `{{ … }}` is an error naming it (the
 * caller prefixes the flag).
 */
export function parseCommitTemplate(written: string): CommitTemplate {
  const template = written.replace(/\\(\\|n)/g, (_escape, char: string) => (char === 'n' ? '\n' : '\\'));
  if (template.trim() === '') throw new Error('the template is empty');
  const parts: (string | { placeholder: CommitPlaceholder })[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const literal = template.slice(last, match.index);
    assertNoStrayBraces(literal);
    if (literal !== '') parts.push(literal);
    const name = match[1]!;
    if (!Object.hasOwn(COMMIT_PLACEHOLDERS, name)) {
      throw new Error(
        `unknown placeholder "${match[0]}" (known: ${Object.keys(COMMIT_PLACEHOLDERS)
          .map((known) => `.${known}`)
          .join(', ')})`,
      );
    }
    parts.push({ placeholder: name as CommitPlaceholder });
    last = match.index + match[0].length;
  }
  const rest = template.slice(last);
  assertNoStrayBraces(rest);
  if (rest !== '') parts.push(rest);
  return parts;
}

function assertNoStrayBraces(literal: string): void {
  const stray = /\{\{[^}]*\}?\}?/.exec(literal);
  if (stray)
    throw new Error(`"${stray[0].slice(0, 40)}" is not a placeholder (write {{ .Name }}, e.g. {{ .Added }})`);
}

function placeholderValues(context: CommitContext): Record<CommitPlaceholder, string> {
  const counts = countChanges(context.plan);
  return {
    Title: pullRequestTitle(context.plan, context.path),
    Body: commitBody(context.plan),
    Summary: countsLine(context.plan),
    Added: String(counts.added),
    Changed: String(counts.changed),
    Removed: String(counts.removed),
    Path: context.path || '.',
    Branch: context.branch,
    Datacenter: context.datacenter ?? '',
    Index: context.index ?? '',
    ClusterId: context.clusterId ?? '',
    Version: context.version,
  };
}

/** How a generator describes its commits (from flags; the same for every run). */
export interface CommitSettings {
  template: CommitTemplate;
  /** The trailer key the index goes under (`Consul-Index`, or `Catalog-File-Digest` for a file). */
  indexKey: string;
  /** `--signoff`: the committer identity for `Signed-off-by:`. */
  signoff?: { name: string; email: string };
  version: string;
  clusterId?: string;
  /** `--datacenter`: used when the catalog does not say which datacenter answered. */
  datacenter?: string;
}

/** The trailers of a commit, in order; values that are not known are left out. */
function commitTrailers(context: CommitContext, options: CommitSettings): [string, string][] {
  const trailers: [string, string][] = [];
  const add = (key: string, value: string | undefined): void => {
    // A trailer value is one line; git would end the trailer block at a line break.
    if (value !== undefined && value !== '') trailers.push([key, value.replace(/\s+/g, ' ').trim()]);
  };
  add(options.indexKey, context.index);
  add('Consul-Datacenter', context.datacenter);
  add('Generator-Version', context.version);
  add('Cluster-Id', context.clusterId);
  if (options.signoff) add('Signed-off-by', `${options.signoff.name} <${options.signoff.email}>`);
  return trailers;
}

/** What one run adds to the settings: its plan and what the catalog read said. */
interface CommitRun {
  plan: Plan;
  /** Normalised `--path`. */
  path: string;
  branch: string;
  /** The catalog's index: Consul's `X-Consul-Index`, or a catalog file's digest. */
  index?: string;
  /** The datacenter that answered, when the catalog says. */
  datacenter?: string;
}

/** The full message: the rendered template, a blank line, then the trailer block. */
export function commitMessage(settings: CommitSettings, run: CommitRun): string {
  const datacenter = run.datacenter ?? settings.datacenter;
  const context: CommitContext = {
    ...run,
    version: settings.version,
    ...(datacenter !== undefined ? { datacenter } : {}),
    ...(settings.clusterId !== undefined ? { clusterId: settings.clusterId } : {}),
  };
  const values = placeholderValues(context);
  const text = settings.template
    .map((part) => (typeof part === 'string' ? part : values[part.placeholder]))
    .join('')
    .trimEnd();
  const trailers = commitTrailers(context, settings);
  if (trailers.length === 0) return `${text}\n`;
  return `${text}\n\n${trailers.map(([key, value]) => `${key}: ${value}`).join('\n')}\n`;
}
