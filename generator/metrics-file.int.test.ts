/** `--once --metrics-file` against a real bare remote: node-exporter textfile format, written atomically. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createMetricsRegistry } from '../core/runtime';
import { GeneratorMetrics } from './metrics';
import { bareRemote, generate, tempDir } from '../test/support/generator/git-fixture';
import { targetArgs } from '../test/support/generator/cli';

let root: { dir: string; cleanup(): void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());

/** Sample lines of a text exposition: series -> value. */
function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    // node-exporter's textfile collector takes `name{labels} value`, no timestamps.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    result.set(match[1]!, Number(match[2]));
  }
  return result;
}

describe('--once --metrics-file', () => {
  it('writes the watch-mode metric names after every run, atomically, keeping the last success over failures', async () => {
    const dir = path.join(root.dir, 'case');
    mkdirSync(dir);
    const remote = bareRemote(dir);
    const catalogFile = path.join(dir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify({ web: [], api: [] }));
    const textfiles = path.join(dir, 'textfile');
    mkdirSync(textfiles);
    const file = path.join(textfiles, 'consul-k8s-gitops.prom');
    const args = [
      '--once',
      ...targetArgs({ catalog: catalogFile, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
      '--metrics-file',
      file,
    ];
    const series = (name: string) => `consul_k8s_gitops_generator_${name}{component="generator"}`;

    const first = await generate(args);
    expect(first.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const committed = samples(text);
    expect(committed.get(series('commits_total'))).toBe(1);
    expect(committed.get(series('pushes_total'))).toBe(1);
    expect(
      committed.get('consul_k8s_gitops_generator_runs_total{result="committed",component="generator"}'),
    ).toBe(1);
    expect(committed.get(series('services_rendered'))).toBe(2);
    const lastSuccess = committed.get(series('last_success_timestamp_seconds'))!;
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60);
    // The same names as watch mode's /metrics, without the process metrics node-exporter has itself.
    const watchRegistry = createMetricsRegistry();
    new GeneratorMetrics(watchRegistry);
    const watchNames = (await watchRegistry.getMetricsAsJSON()).map((metric) => metric.name);
    const written = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
    expect(written.sort()).toEqual(watchNames.filter((name) => name.startsWith('consul_k8s_gitops_')).sort());
    expect(written).toHaveLength(10);
    expect(readdirSync(textfiles)).toEqual(['consul-k8s-gitops.prom']);

    const second = await generate(args);
    expect(second.code).toBe(0);
    const upToDate = samples(readFileSync(file, 'utf8'));
    expect(upToDate.get(series('commits_total'))).toBe(0);
    expect(
      upToDate.get('consul_k8s_gitops_generator_runs_total{result="up_to_date",component="generator"}'),
    ).toBe(1);

    writeFileSync(catalogFile, '{"web": "oops"}');
    const broken = await generate(args);
    expect(broken.code).toBe(1);
    const failed = samples(readFileSync(file, 'utf8'));
    expect(failed.get('consul_k8s_gitops_generator_runs_total{result="error",component="generator"}')).toBe(
      1,
    );
    expect(failed.get(series('last_success_timestamp_seconds'))).toBeGreaterThanOrEqual(lastSuccess);
    expect(failed.get(series('last_success_timestamp_seconds'))).toBe(
      upToDate.get(series('last_success_timestamp_seconds')),
    );
  });

  it('a file that cannot be written fails the run (exit 1), naming the flag; no temporary file is left', async () => {
    const dir = path.join(root.dir, 'unwritable');
    mkdirSync(dir);
    const remote = bareRemote(dir);
    const catalogFile = path.join(dir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify({ web: [] }));
    const file = path.join(dir, 'taken.prom');
    mkdirSync(file);
    const result = await generate([
      '--once',
      ...targetArgs({ catalog: catalogFile, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
      '--metrics-file',
      file,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: --metrics-file: cannot write ".*taken\.prom" \((EISDIR|ENOTDIR|EEXIST)\)/m,
    );
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
