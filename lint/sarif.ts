/**
 * Pure: lint results -> a SARIF 2.1.0 log (one run, one reportingDescriptor per rule id, one result
 * per finding with its file and line). Code-scanning services (GitHub, GitLab, Azure DevOps) read it.
 * Files that could not be read or parsed become tool execution notifications, not results: they are
 * not rule violations.
 */
import { ALL_RULES, type Rule } from '../core/annotations';
import type { InputProblem } from './format';
import type { LintFinding } from './lint';

const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Relative paths are resolved against the directory lint ran in (SARIF §3.14.14). */
const SRCROOT = '%SRCROOT%';

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** A path as a SARIF URI reference: absolute paths as file URLs, relative ones percent-encoded. */
export function artifactLocation(filePath: string): ArtifactLocation {
  const posix = filePath.replace(/\\/g, '/');
  const encoded = posix
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return posix.startsWith('/') ? { uri: `file://${encoded}` } : { uri: encoded, uriBaseId: SRCROOT };
}

function descriptor(rule: Rule) {
  return {
    id: rule.id,
    shortDescription: { text: `${rule.id} (${rule.severity})` },
    fullDescription: { text: rule.when.replace(/`/g, '') },
    defaultConfiguration: { level: rule.severity },
    help: { text: `See docs/annotations.md, rule ${rule.id}.` },
  };
}

export function formatSarif(
  findings: LintFinding[],
  problems: InputProblem[],
  toolVersion: string,
  workingDirectory: string,
): string {
  const ruleIndex = new Map(ALL_RULES.map((rule, index) => [rule.id, index]));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'consul-k8s-gitops',
            semanticVersion: toolVersion,
            rules: ALL_RULES.map(descriptor),
          },
        },
        originalUriBaseIds: {
          [SRCROOT]: { uri: artifactLocation(workingDirectory.replace(/\/?$/, '/')).uri },
        },
        invocations: [
          {
            executionSuccessful: problems.length === 0,
            toolExecutionNotifications: problems.map((p) => ({
              level: 'error',
              message: { text: p.message },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: artifactLocation(p.path),
                    ...(p.line
                      ? { region: { startLine: p.line, ...(p.column ? { startColumn: p.column } : {}) } }
                      : {}),
                  },
                },
              ],
            })),
          },
        ],
        results: findings.map((f) => ({
          ruleId: f.rule,
          ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
          level: f.severity,
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifactLocation(f.path),
                region: { startLine: f.line },
              },
              ...(f.name
                ? {
                    logicalLocations: [
                      {
                        name: f.name,
                        fullyQualifiedName: `${f.namespace ? `${f.namespace}/` : ''}${f.name}`,
                        kind: 'object',
                      },
                    ],
                  }
                : {}),
            },
          ],
          // Stable across runs, so code scanning tracks one alert per Service and rule.
          partialFingerprints: {
            'consulK8sGitops/v1': `${f.namespace ?? ''}/${f.name ?? ''}/${f.annotation}/${f.rule}`,
          },
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
