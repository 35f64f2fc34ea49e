/**
 * The flags in the manifests are flags the CLI accepts: every container's args are parsed by
 * the real program definition (`buildProgram()` from cli.ts, commander), after expanding
 * `$(VAR)` references the way the kubelet does from the container's env and ConfigMaps.
 */
import type { Command } from 'commander';
import { buildProgram } from '../../cli';
import { rejectedBy } from './cli-args';
import { field, find, workloads, type Container } from './inspect';
import { renderOverlay, renderOverlayWith, type K8sObject } from './render';

const renders: [string, K8sObject[]][] = [];

beforeAll(async () => {
  renders.push(['overlays/dev', await renderOverlay('overlays/dev')]);
  renders.push(['overlays/production', await renderOverlay('overlays/production')]);
  renders.push([
    'overlays/production + generator-cronjob',
    await renderOverlayWith('overlays/production', ['generator-cronjob']),
  ]);
}, 60_000);

/** The container's environment as the kubelet builds it (envFrom first, then env). */
function environment(container: Container, objects: K8sObject[], namespace: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? field<Record<string, string>>(find(objects, 'ConfigMap', from.configMapRef.name), 'data')
      : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env.set(k, v);
  }
  for (const e of container.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef;
    const value =
      e.value ??
      (cm ? field<string>(find(objects, 'ConfigMap', cm.name ?? ''), 'data', cm.key ?? '') : undefined) ??
      (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? namespace : undefined);
    if (value !== undefined) env.set(e.name, value);
  }
  return env;
}

/** `$(VAR)` expansion; unresolvable references are reported, not left for the kubelet. */
function expand(arg: string, env: Map<string, string>, problems: string[]): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => {
    const value = env.get(name);
    if (value === undefined) problems.push(`${arg}: ${ref} is not defined in the container's environment`);
    return value ?? ref;
  });
}

test('every container runs a subcommand of the CLI with flags it accepts', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const [label, objects] of renders) {
    for (const w of workloads(objects)) {
      for (const container of w.template.spec.containers) {
        const where = `${label}: ${w.object.kind}/${w.object.metadata.name}/${container.name}`;
        // The image's ENTRYPOINT is the CLI; a `command` would bypass it.
        if (container.command) problems.push(`${where}: sets command, bypassing the image entrypoint`);
        const [subcommand, ...rest] = container.args ?? [];
        const command = buildProgram().commands.find((c) => c.name() === subcommand);
        if (!command) {
          problems.push(`${where}: "${subcommand}" is not a subcommand of consul-k8s-gitops`);
          continue;
        }
        const env = environment(container, objects, w.namespace);
        const args = rest.map((a) => expand(a, env, problems));
        problems.push(...rejectedBy(command, args).map((p) => `${where}: ${p}`));
        checked++;
      }
    }
  }
  expect(problems).toEqual([]);
  // dev + production (webhook, registrar, generator) and the CronJob variant.
  expect(checked).toBe(9);
});

test('a flag the CLI does not know is reported (the check itself works)', () => {
  const webhook = buildProgram().commands.find((c) => c.name() === 'webhook') as Command;
  expect(rejectedBy(webhook, ['--port=8443', '--no-such-flag=1'])).toEqual([
    'unknown option --no-such-flag=1',
  ]);
  const generate = buildProgram().commands.find((c) => c.name() === 'generate') as Command;
  expect(rejectedBy(generate, ['--http-port=not-a-port'])).toHaveLength(1);
});
