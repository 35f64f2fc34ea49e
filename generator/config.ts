/**
 * `generate` settings: commander's option values (+ environment) -> a validated config.
 * Every bad value fails at startup with a message naming the flag (or variable) and the reason.
 * Secrets are read from files/env here and kept out of every printable form.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isValidSyncTag } from '../core/annotations';
import { leaseNamespace as leaseNamespaceFor, MIN_LEASE_DURATION_MS } from '../core/kube/lease-settings';
import { isDns1123Label, isDnsSubdomain } from '../core/names/dns';
import type { LogLevel } from '../core/runtime/logger';
import { GITHUB_LABEL_LIMIT, GITLAB_LABEL_LIMIT } from './forge/limits';
import type { GuardOptions } from './guard';
import { normaliseManagedPath } from './managed-dir';
import { shortHash } from './names';
import { INVENTORY_NAME } from './render';
import type { ForgeConfig, ForgeKind } from './forge/forge';
import { parseCommitTemplate, DEFAULT_COMMIT_TEMPLATE, type CommitTemplate } from './commit-message';
import type { GitCredentials, GitIdentity } from './git/credentials';
import type { SigningKey } from './git/signing';
import { globProblem, type SelectOptions } from './select';
import type { RenderOptions } from './types';

export type Mode = 'once' | 'watch' | 'dry-run';

export const DEFAULT_LEASE_NAME = 'consul-k8s-gitops-generator';
export const DEFAULT_AUTHOR_NAME = 'consul-k8s-gitops';
export const DEFAULT_AUTHOR_EMAIL = 'consul-k8s-gitops@users.noreply.localhost';
const DEFAULT_PR_BRANCH_PREFIX = 'consul-k8s-gitops/';
const DEFAULT_OWNER_ID = 'default';

/**
 * The inventory ConfigMap's name: one per generator, so two generators writing to one namespace
 * (each its own --path) do not collide in kustomize or in the cluster. From --owner-id or
 * --cluster-id when given, else from the managed path.
 */
export function inventoryNameFor(id: string | undefined, managedPath: string): string {
  return `${INVENTORY_NAME}-${id ?? shortHash(managedPath)}`;
}

/** Option values as commander hands them over. */
export interface GenerateFlags {
  once?: boolean;
  watch?: boolean;
  dryRun?: boolean;
  catalogFile?: string;
  datacenter?: string;
  consulK8sTag: string;
  clusterId?: string;
  ownerId?: string;
  include?: string[];
  exclude?: string[];
  consulDomain: string;
  consulDatacenterDns?: string | boolean;
  k8sWriteNamespace: string;
  k8sServicePrefix: string;
  annotateConsulTags?: boolean;
  checkCluster?: boolean;
  adoptConsulK8s?: boolean;
  kubeconfig?: string;
  repo?: string;
  branch: string;
  path?: string;
  /** `--shard-size` (0: never shard). */
  shardSize: number;
  workdir?: string;
  authorName: string;
  authorEmail: string;
  signCommits?: boolean;
  gitTokenFile?: string;
  gitUsername?: string;
  gitSshKeyFile?: string;
  gitKnownHostsFile?: string;
  pushRetries: number;
  maxDeletePercent: number;
  allowMassDelete?: boolean;
  pullRequest?: ForgeKind;
  forgeApiUrl?: string;
  forgeProject?: string;
  forgeTokenFile?: string;
  pullRequestBranch?: string;
  pullRequestLabel?: string[];
  pullRequestReviewer?: string[];
  pullRequestAssignee?: string[];
  pullRequestDraft?: boolean;
  pullRequestAutoMerge?: boolean;
  bufferMin: number;
  bufferMax: number;
  leaderElect?: boolean;
  leaderElectLeaseName: string;
  leaderElectLeaseNamespace?: string;
  leaderElectLeaseDuration: number;
  httpPort: number;
  logLevel: LogLevel;
  // Commits and reports (commit message, trailers, signing, JSON plan, metrics file)
  commitMessageTemplate?: string;
  signoff?: boolean;
  signingKey?: string;
  output?: OutputFormat;
  metricsFile?: string;
}

type OutputFormat = 'text' | 'json';

export interface GeneratorConfig {
  mode: Mode;
  source: { kind: 'file'; path: string } | { kind: 'consul'; datacenter?: string };
  select: SelectOptions;
  render: RenderOptions;
  repo: string;
  branch: string;
  managedPath: string;
  workdir?: string;
  identity: GitIdentity;
  credentials: GitCredentials;
  signCommits: boolean;
  maxPushAttempts: number;
  guard: GuardOptions;
  pullRequest?: ForgeConfig;
  checkCluster: boolean;
  /** `--adopt-consul-k8s` (only with --check-cluster). */
  adoptConsulK8s: boolean;
  kubeconfig?: string;
  watch: {
    bufferMinMs: number;
    bufferMaxMs: number;
    leaderElect: boolean;
    leaseName: string;
    leaseNamespace: string;
    leaseDurationMs: number;
    httpPort: number;
  };
  logLevel: LogLevel;
  // Commits and reports
  commit: {
    template: CommitTemplate;
    /** `--signoff`: add `Signed-off-by:` with the committer identity. */
    signoff: boolean;
  };
  /** `--signing-key`: sign every commit with this key. */
  signingKey?: SigningKey;
  /** `--output`: how `--dry-run` prints its plan. */
  output: OutputFormat;
  /** `--metrics-file`: `--once` writes its metrics here (node-exporter textfile format). */
  metricsFile?: string;
}

class GeneratorConfigError extends Error {
  override readonly name = 'GeneratorConfigError';
}

type ReadSecret = (path: string) => string;
const readSecretFile: ReadSecret = (path) => readFileSync(path, 'utf8').trim();

const DOMAIN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const DATACENTER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|-)[A-Za-z0-9._/-]+$/;

/** Validates the flags; collects every problem into one message. */
export function parseGenerateConfig(
  flags: GenerateFlags,
  env: NodeJS.ProcessEnv = process.env,
  readSecret: ReadSecret = readSecretFile,
): GeneratorConfig {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };

  const modes = (['once', 'watch'] as const).filter((mode) => flags[mode]);
  check(modes.length <= 1, '--once and --watch: choose one');
  check(!(flags.watch && flags.dryRun), '--dry-run: plans one run; it cannot be combined with --watch');
  const mode: Mode = flags.dryRun ? 'dry-run' : flags.watch ? 'watch' : 'once';
  check(Boolean(flags.once || flags.watch || flags.dryRun), 'choose a mode: --once, --watch or --dry-run');

  check(Boolean(flags.repo && flags.repo.trim()), '--repo: required (a Git URL or a local path)');
  // A password in the URL would end up in git's argv (visible in `ps`) and in the mirror's config.
  check(
    !/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(flags.repo ?? ''),
    '--repo: the URL contains a password; give the token with --git-token-file or GIT_TOKEN instead',
  );
  let managedPath = '';
  try {
    managedPath = normaliseManagedPath(flags.path ?? '');
  } catch (err) {
    problems.push((err as Error).message);
  }
  check(BRANCH.test(flags.branch), `--branch: "${flags.branch}" is not a valid branch name`);
  check(
    isDns1123Label(flags.k8sWriteNamespace),
    `--k8s-write-namespace: "${flags.k8sWriteNamespace}" is not a namespace name (DNS label)`,
  );
  check(
    flags.k8sServicePrefix === '' ||
      (/^[a-z][-a-z0-9]*$/.test(flags.k8sServicePrefix) && flags.k8sServicePrefix.length <= 40),
    `--k8s-service-prefix: "${flags.k8sServicePrefix}" must start with a lowercase letter and hold only a-z, 0-9 and "-" (at most 40 characters)`,
  );
  // Consul takes its domain with or without the root's dot (`consul.`); externalName never has it.
  const consulDomain = flags.consulDomain.replace(/\.$/, '');
  check(
    DOMAIN.test(consulDomain),
    `--consul-domain: "${flags.consulDomain}" is not a lowercase DNS domain (such as consul, or consul.)`,
  );
  check(
    !flags.adoptConsulK8s || Boolean(flags.checkCluster),
    '--adopt-consul-k8s: needs --check-cluster (it decides which cluster Services are not conflicts)',
  );
  check(
    isValidSyncTag(flags.consulK8sTag),
    '--consul-k8s-tag: must be non-empty, without surrounding whitespace',
  );
  if (flags.clusterId !== undefined) {
    check(
      isDns1123Label(flags.clusterId),
      `--cluster-id: "${flags.clusterId}" is not a cluster ID (lowercase letters, digits and "-", as given to the registrar)`,
    );
  }
  if (flags.ownerId !== undefined) {
    check(
      isDns1123Label(flags.ownerId),
      `--owner-id: "${flags.ownerId}" is not a valid ID (lowercase letters, digits and "-", at most 63 characters)`,
    );
  }
  if (flags.datacenter !== undefined)
    check(DATACENTER.test(flags.datacenter), `--datacenter: "${flags.datacenter}" is not a datacenter name`);

  let datacenterDns: string | undefined;
  // Without a value: --datacenter, else the datacenter Consul answers from (a file cannot say).
  const datacenterFromCatalog = flags.consulDatacenterDns === true && flags.datacenter === undefined;
  if (flags.consulDatacenterDns === true) {
    datacenterDns = flags.datacenter;
    check(
      datacenterDns !== undefined || flags.catalogFile === undefined,
      '--consul-datacenter-dns: give the datacenter (--consul-datacenter-dns dc1) or set --datacenter; a catalog file does not say which datacenter it is from',
    );
  } else if (typeof flags.consulDatacenterDns === 'string') {
    datacenterDns = flags.consulDatacenterDns;
  }
  if (datacenterDns !== undefined)
    check(
      DATACENTER.test(datacenterDns),
      `--consul-datacenter-dns: "${datacenterDns}" is not a datacenter name (letters, digits, "-")`,
    );

  check(
    Number.isFinite(flags.maxDeletePercent) && flags.maxDeletePercent >= 0 && flags.maxDeletePercent <= 100,
    `--max-delete-percent: expected a number from 0 to 100`,
  );
  check(
    Number.isInteger(flags.pushRetries) && flags.pushRetries >= 0 && flags.pushRetries <= 100,
    '--push-retries: expected an integer from 0 to 100',
  );
  check(flags.bufferMin <= flags.bufferMax, '--buffer-min: must not be longer than --buffer-max');
  for (const [flag, patterns] of [
    ['--include', flags.include],
    ['--exclude', flags.exclude],
  ] as const) {
    for (const pattern of patterns ?? []) {
      const problem = globProblem(pattern);
      if (problem !== undefined) problems.push(`${flag} ${JSON.stringify(pattern)}: ${problem}`);
    }
  }

  const credentials: GitCredentials = {};
  const secret = (flag: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      const value = readSecret(file);
      if (value === '') problems.push(`${flag}: "${file}" is empty`);
      return value;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${flag}: cannot read "${file}"${code ? ` (${code})` : ''}`);
      return undefined;
    }
  };
  const gitToken = secret('--git-token-file', flags.gitTokenFile) ?? nonEmpty(env.GIT_TOKEN);
  if (gitToken) credentials.token = gitToken;
  if (flags.gitUsername) credentials.username = flags.gitUsername;
  if (flags.gitSshKeyFile) credentials.sshKeyFile = flags.gitSshKeyFile;
  if (flags.gitKnownHostsFile) credentials.knownHostsFile = flags.gitKnownHostsFile;

  let pullRequest: ForgeConfig | undefined;
  if (flags.pullRequest !== undefined) {
    const tokenVariable = flags.pullRequest === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN';
    const token = secret('--forge-token-file', flags.forgeTokenFile) ?? nonEmpty(env[tokenVariable]);
    check(
      token !== undefined,
      `--pull-request ${flags.pullRequest}: needs a token (${tokenVariable} or --forge-token-file)`,
    );
    const project = flags.forgeProject ?? projectFromUrl(flags.repo ?? '');
    check(
      project !== undefined,
      '--forge-project: required when it cannot be read from --repo (owner/repo or group/project)',
    );
    const branch =
      flags.pullRequestBranch ?? `${DEFAULT_PR_BRANCH_PREFIX}${flags.branch}/${managedPath || 'root'}`;
    check(
      BRANCH.test(branch) && branch !== flags.branch,
      `--pull-request-branch: "${branch}" must be a valid branch name other than --branch`,
    );
    const labels = flags.pullRequestLabel ?? [];
    for (const label of labels) problems.push(labelProblem(flags.pullRequest, label) ?? '');
    for (const [flag, names] of [
      ['--pull-request-reviewer', flags.pullRequestReviewer ?? []],
      ['--pull-request-assignee', flags.pullRequestAssignee ?? []],
    ] as const)
      for (const name of names)
        check(
          USERNAME.test(name),
          `${flag}: "${name.slice(0, 64)}" is not a user name (letters, digits, . _ -)`,
        );
    pullRequest = {
      kind: flags.pullRequest,
      project: project ?? '',
      token: token ?? '',
      branch,
      labels,
      extras: {
        reviewers: flags.pullRequestReviewer ?? [],
        assignees: flags.pullRequestAssignee ?? [],
        draft: Boolean(flags.pullRequestDraft),
        autoMerge: Boolean(flags.pullRequestAutoMerge),
      },
      ...(flags.forgeApiUrl ? { apiUrl: flags.forgeApiUrl.replace(/\/+$/, '') } : {}),
    };
  }

  const leaseNamespace = leaseNamespaceFor(flags.leaderElectLeaseNamespace, env, flags.k8sWriteNamespace);
  check(
    isDnsSubdomain(flags.leaderElectLeaseName),
    `--leader-elect-lease-name: "${flags.leaderElectLeaseName}" is not a valid name (a DNS subdomain)`,
  );
  check(
    !flags.watch || flags.leaderElectLeaseDuration >= MIN_LEASE_DURATION_MS,
    `--leader-elect-lease-duration: at least ${MIN_LEASE_DURATION_MS / 1000}s`,
  );
  check(
    isDns1123Label(leaseNamespace),
    `--leader-elect-lease-namespace: "${leaseNamespace}" is not a namespace name`,
  );

  const reports = commitAndReportSettings(flags, mode, readSecret, problems);

  const remaining = problems.filter((problem) => problem !== '');
  if (remaining.length > 0) throw new GeneratorConfigError(remaining.join('; '));

  return {
    mode,
    source:
      flags.catalogFile !== undefined
        ? { kind: 'file', path: flags.catalogFile }
        : { kind: 'consul', ...(flags.datacenter ? { datacenter: flags.datacenter } : {}) },
    select: {
      syncTag: flags.consulK8sTag,
      include: flags.include ?? [],
      exclude: flags.exclude ?? [],
      prefix: flags.k8sServicePrefix,
      ...(flags.clusterId !== undefined ? { clusterId: flags.clusterId } : {}),
    },
    render: {
      namespace: flags.k8sWriteNamespace,
      domain: consulDomain,
      annotateTags: Boolean(flags.annotateConsulTags),
      owner: flags.ownerId ?? flags.clusterId ?? DEFAULT_OWNER_ID,
      inventoryName: inventoryNameFor(flags.ownerId ?? flags.clusterId, managedPath),
      shardSize: flags.shardSize,
      ...(datacenterDns !== undefined ? { datacenter: datacenterDns } : {}),
      ...(datacenterFromCatalog ? { datacenterFromCatalog } : {}),
    },
    repo: flags.repo!,
    branch: flags.branch,
    managedPath,
    ...(flags.workdir ? { workdir: flags.workdir } : {}),
    identity: { name: flags.authorName, email: flags.authorEmail },
    credentials,
    signCommits: Boolean(flags.signCommits),
    maxPushAttempts: flags.pushRetries + 1,
    guard: { maxDeletePercent: flags.maxDeletePercent, allowMassDelete: Boolean(flags.allowMassDelete) },
    ...(pullRequest ? { pullRequest } : {}),
    checkCluster: Boolean(flags.checkCluster),
    adoptConsulK8s: Boolean(flags.adoptConsulK8s),
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    watch: {
      bufferMinMs: flags.bufferMin,
      bufferMaxMs: flags.bufferMax,
      leaderElect: Boolean(flags.leaderElect),
      leaseName: flags.leaderElectLeaseName,
      leaseNamespace,
      leaseDurationMs: flags.leaderElectLeaseDuration,
      httpPort: flags.httpPort,
    },
    logLevel: flags.logLevel,
    ...reports,
  };
}

/** Commit message, trailers, signing, `--output` and `--metrics-file`; problems go to `problems`. */
function commitAndReportSettings(
  flags: GenerateFlags,
  mode: Mode,
  readSecret: ReadSecret,
  problems: string[],
): Pick<GeneratorConfig, 'commit' | 'signingKey' | 'output' | 'metricsFile'> {
  let template: CommitTemplate = [];
  try {
    template = parseCommitTemplate(flags.commitMessageTemplate ?? DEFAULT_COMMIT_TEMPLATE);
  } catch (err) {
    problems.push(`--commit-message-template: ${(err as Error).message}`);
  }
  if (flags.signoff) {
    const oneLine = (value: string): boolean => value.trim() !== '' && !/[\n\r<>]/.test(value);
    if (!oneLine(flags.authorName) || !oneLine(flags.authorEmail))
      problems.push(
        '--signoff: --author-name and --author-email must be non-empty, on one line and without "<" or ">"',
      );
  }
  let signingKey: SigningKey | undefined;
  if (flags.signingKey !== undefined) {
    try {
      signingKey = parseSigningKey(flags.signingKey, readSecret);
    } catch (err) {
      problems.push(`--signing-key: ${(err as Error).message}`);
    }
  }
  const output = flags.output ?? 'text';
  if (output !== 'text' && mode !== 'dry-run') problems.push(`--output ${output}: only with --dry-run`);
  if (flags.metricsFile !== undefined) {
    if (mode !== 'once') problems.push('--metrics-file: only with --once (watch mode serves /metrics)');
    if (!flags.metricsFile.endsWith('.prom'))
      problems.push(
        `--metrics-file: "${flags.metricsFile}" must end in .prom (node-exporter's textfile collector reads only *.prom)`,
      );
    const dir = path.dirname(path.resolve(flags.metricsFile));
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      problems.push(`--metrics-file: the directory "${dir}" does not exist`);
  }
  return {
    commit: { template, signoff: Boolean(flags.signoff) },
    ...(signingKey ? { signingKey } : {}),
    output,
    ...(flags.metricsFile !== undefined ? { metricsFile: path.resolve(flags.metricsFile) } : {}),
  };
}

const OPENPGP_KEY_ID = /^(0x)?([0-9a-f]{8}|[0-9a-f]{16}|[0-9a-f]{40})!?$/i;

/**
 * `--signing-key`: a readable SSH key file (private, or public with the private key in
 * ssh-agent) -> SSH signing; otherwise an OpenPGP key id or fingerprint (8, 16 or 40 hex digits).
 */
function parseSigningKey(value: string, readSecret: ReadSecret): SigningKey {
  let content: string | undefined;
  let code: string | undefined;
  try {
    content = readSecret(value);
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code;
  }
  if (content === undefined) {
    if (OPENPGP_KEY_ID.test(value)) return { format: 'openpgp', keyId: value };
    throw new Error(
      `"${value}" is neither a readable SSH key file${code ? ` (${code})` : ''} nor an OpenPGP key id (8, 16 or 40 hex digits)`,
    );
  }
  if (/^-----BEGIN PGP /.test(content))
    throw new Error(
      `"${value}" is an OpenPGP key file: import it into the keyring (GNUPGHOME) and give its key id`,
    );
  const ssh =
    /^-----BEGIN OPENSSH PRIVATE KEY-----/.test(content) ||
    /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]+/.test(content);
  if (!ssh) throw new Error(`"${value}" is not an SSH key (OpenSSH private key or public key)`);
  return { format: 'ssh', keyFile: path.resolve(value) };
}

/** GitHub logins and GitLab usernames (GitHub team reviewers `org/team` are not supported). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Label rules of each forge (GitHub: at most 50 characters; GitLab: 255). Commas already split the flag. */
function labelProblem(kind: ForgeKind, label: string): string | undefined {
  const limit = kind === 'github' ? GITHUB_LABEL_LIMIT : GITLAB_LABEL_LIMIT;
  const shown = `"${label.slice(0, 64)}${label.length > 64 ? '...' : ''}"`;
  if ([...label].length > limit)
    return `--pull-request-label: ${shown} is longer than ${limit} characters (the ${kind === 'github' ? 'GitHub' : 'GitLab'} limit)`;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** `owner/repo` (GitHub) or `group/sub/project` (GitLab) from an HTTPS or SSH remote URL. */
export function projectFromUrl(url: string): string | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+\/|[^/\s:]+@[^/\s:]+:)(.+?)(?:\.git)?\/?$/i.exec(url.trim());
  return match?.[1];
}
