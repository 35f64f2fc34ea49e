/** The `generate` subcommand: flags only; `main.ts` does the work. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { collectList, durationArg } from '../core/runtime/config';
import { addLeaderFlags } from '../core/runtime/leader-flags';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../core/runtime/logger';
import { COMMIT_PLACEHOLDERS, DEFAULT_COMMIT_TEMPLATE } from './commit-message';
import { DEFAULT_LEASE_NAME, type GenerateFlags } from './config';
import { DEFAULT_AUTHOR_EMAIL, DEFAULT_AUTHOR_NAME } from './config-git';
import { runGenerate } from './main';

function percentArg(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 100) {
    throw new InvalidArgumentError(`invalid percentage "${value}": expected a number from 0 to 100`);
  }
  return number;
}

function countArg(value: string): number {
  if (!/^\d+$/.test(value.trim()))
    throw new InvalidArgumentError(`invalid count "${value}": expected an integer >= 0`);
  return Number(value);
}

/**
 * Repeatable glob flags; a value may also hold several globs separated by commas. A comma inside
 * braces belongs to the glob (`web-{a,b}`), so only top-level commas separate.
 */
function collectPatterns(value: string, previous: string[] | undefined): string[] {
  const patterns: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i];
    if (char === '\\') i += 1;
    else if (char === '{') depth += 1;
    else if (char === '}') depth = Math.max(0, depth - 1);
    else if (char === ',' && depth === 0) {
      patterns.push(value.slice(start, i));
      start = i + 1;
    }
  }
  patterns.push(value.slice(start));
  return [...(previous ?? []), ...patterns.map((pattern) => pattern.trim())];
}

export function createGenerateCommand(): Command {
  const command = new Command('generate')
    .description(
      'Render the Consul catalog as ExternalName Services (one YAML file each, plus kustomization.yaml and an inventory ConfigMap) into a Git repository: commit and push, or open/update one pull request.',
    )
    // Mode
    .option(
      '--once',
      'one run: exit 0 when committed or already up to date, non-zero on any error or refusal',
    )
    .option('--watch', 'daemon: follow the catalog with blocking queries and commit batched changes')
    .option('--dry-run', 'plan only: print a table and a unified diff; exit 0 no change, 2 changes, 1 error')
    // Source
    .option(
      '--catalog-file <file>',
      'read a JSON catalog snapshot instead of Consul (format: docs/generator.md)',
    )
    .option('--datacenter <dc>', "Consul datacenter to read (default: the agent's)")
    // What is rendered
    .option(
      '--consul-k8s-tag <tag>',
      'services with this tag came from Kubernetes and are never rendered',
      'k8s',
    )
    .option(
      '--cluster-id <id>',
      "this cluster's registrar --cluster-id: only its own Kubernetes services are loop-guarded; other clusters' are rendered",
    )
    .option(
      '--owner-id <id>',
      'who owns --path (written to its .consul-k8s-gitops-owner marker; another generator is refused); default --cluster-id, else "default". Also names the inventory ConfigMap',
    )
    .option(
      '--include <glob>',
      'render only Consul names matching a glob (minimatch; repeatable; commas outside braces separate globs; an unclosed [, { or ( is refused)',
      collectPatterns,
    )
    .option(
      '--exclude <glob>',
      'never render Consul names matching a glob (same syntax as --include)',
      collectPatterns,
    )
    .option(
      '--consul-domain <domain>',
      'Consul DNS domain used in externalName (a trailing dot is accepted and dropped)',
      'consul',
    )
    .option(
      '--consul-datacenter-dns [dc]',
      'put the datacenter into externalName (<name>.service.<dc>.<domain>); without a value: --datacenter, else the datacenter Consul answers from',
    )
    .option('--k8s-write-namespace <namespace>', 'namespace of the rendered Services', 'default')
    .option('--k8s-service-prefix <prefix>', 'prefix for Kubernetes Service names', '')
    .option(
      '--annotate-consul-tags',
      'add the Consul tags as the consul.hashicorp.com/consul-service-tags annotation',
    )
    .option(
      '--check-cluster',
      'skip names taken in the cluster by Services we do not manage (read-only Kubernetes access)',
    )
    .option(
      '--adopt-consul-k8s',
      "with --check-cluster: Services written by consul-k8s's to-k8s sync (label consul=true, ExternalName to <name>.service.<domain>) are replaced, not conflicts (migration)",
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig for --check-cluster and --leader-elect (default: standard locations / in-cluster)',
    )
    // Git
    .option(
      '--repo <url|path>',
      'Git repository: URL, bare repository path, or local work tree (created when missing)',
    )
    .option('--branch <branch>', 'target branch', 'main')
    .option('--path <dir>', 'managed directory inside the repository; nothing outside it is ever written')
    .addOption(
      new Option(
        '--shard-size <n>',
        'more Services than this are written into shard directories <path>/shard-NN (one kustomization.yaml each, for one Argo CD Application / Flux Kustomization each); 0: always one directory',
      )
        .argParser(countArg)
        .default(500),
    )
    .option(
      '--workdir <dir>',
      'where a remote repository is mirrored (a bare repository; default: under the OS temp directory)',
    )
    .option('--author-name <name>', 'commit author and committer name', DEFAULT_AUTHOR_NAME)
    .option('--author-email <email>', 'commit author and committer email', DEFAULT_AUTHOR_EMAIL)
    .option('--sign-commits', "sign commits (git commit -S) with git's own signing configuration")
    .option('--git-token-file <file>', 'HTTPS token file (or env GIT_TOKEN); never put credentials in --repo')
    .option('--git-username <name>', 'username sent with the HTTPS token (default x-access-token)')
    .option('--git-ssh-key-file <file>', 'SSH private key for SSH remotes')
    .option('--git-known-hosts-file <file>', 'known_hosts for SSH remotes (unknown hosts are refused)')
    .addOption(
      new Option('--push-retries <n>', 'retries after a non-fast-forward push rejection')
        .argParser(countArg)
        .default(5),
    )
    // Commits and reports
    .addOption(
      new Option(
        '--commit-message-template <template>',
        `commit message with {{ .Name }} placeholders: ${Object.keys(COMMIT_PLACEHOLDERS)
          .map((name) => `.${name}`)
          .join(' ')} (docs/generator.md); \\n is a line break; trailers follow it`,
      ).default(DEFAULT_COMMIT_TEMPLATE, DEFAULT_COMMIT_TEMPLATE),
    )
    .option('--signoff', 'add "Signed-off-by: <author-name> <<author-email>>" as git commit -s does')
    .option(
      '--signing-key <file|key-id>',
      'sign commits with an SSH private key file (gpg.format=ssh) or an OpenPGP key id from the keyring (GNUPGHOME)',
    )
    .addOption(
      new Option('--output <format>', 'dry run: text (table and diff) or json (the plan, for machines)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option(
      '--metrics-file <file>',
      "once: write the run's metrics to this *.prom file (node-exporter textfile collector), atomically",
    )
    // Guard
    .addOption(
      new Option(
        '--max-delete-percent <percent>',
        'refuse runs removing more than this share of managed Services, or leaving more than this share fewer than the most the path held (high-water mark)',
      )
        .argParser(percentArg)
        .default(50),
    )
    .option(
      '--allow-mass-delete',
      'let a run remove more than --max-delete-percent, or all, managed Services (and reset the high-water mark to what it leaves)',
    )
    // Pull requests
    .addOption(
      new Option(
        '--pull-request <forge>',
        'propose changes through one pull request instead of pushing',
      ).choices(['github', 'gitlab']),
    )
    .option(
      '--forge-api-url <url>',
      'API base URL (GitHub Enterprise: https://host/api/v3; GitLab: https://host)',
    )
    .option('--forge-project <project>', 'GitHub owner/repo or GitLab project path (default: from --repo)')
    .option('--forge-token-file <file>', 'forge token file (default: env GITHUB_TOKEN / GITLAB_TOKEN)')
    .option(
      '--pull-request-branch <branch>',
      'the stable branch the pull request is made from (default consul-k8s-gitops/<branch>/<path>)',
    )
    .option(
      '--pull-request-label <label>',
      'label for the pull request (repeatable); labels it set earlier and no longer has are removed',
      collectList,
    )
    .option(
      '--pull-request-reviewer <user>',
      'reviewer requested when the pull request is opened (repeatable; GitHub login / GitLab username)',
      collectList,
    )
    .option(
      '--pull-request-assignee <user>',
      'assignee set when the pull request is opened (repeatable)',
      collectList,
    )
    .option('--pull-request-draft', 'open the pull request as a draft')
    .option(
      '--pull-request-auto-merge',
      'enable auto-merge when the pull request is opened (GitHub: GraphQL; GitLab: auto-merge)',
    )
    // Watch mode
    .addOption(
      new Option('--buffer-min <duration>', 'watch: quiet period a change waits for more changes')
        .argParser(durationArg)
        .default(5000, '5s'),
    )
    .addOption(
      new Option('--buffer-max <duration>', 'watch: longest a change waits before a run')
        .argParser(durationArg)
        .default(20_000, '20s'),
    );
  return addLeaderFlags(command, {
    leaseName: DEFAULT_LEASE_NAME,
    leaseNamespaceFallback: '--k8s-write-namespace',
    mode: 'watch',
  })
    .addOption(
      new Option('--log-level <level>', 'log level (JSON lines on stderr)')
        .choices(LOG_LEVELS)
        .default(DEFAULT_LOG_LEVEL),
    )
    .action(async (flags: GenerateFlags) => {
      process.exitCode = await runGenerate(flags);
    });
}
