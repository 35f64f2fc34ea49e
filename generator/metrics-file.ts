/**
 * `--once --metrics-file`: the run's metrics in node-exporter's textfile format (Prometheus text
 * exposition, no timestamps), written atomically: a temporary file in the same directory (not
 * named `*.prom`, so the collector never reads it half-written), then a rename.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createMetricsRegistry, type Registry } from '../core/runtime/metrics';
import { GeneratorMetrics } from './metrics';

const LAST_SUCCESS = /^consul_k8s_gitops_generator_last_success_timestamp_seconds(?:\{[^}\n]*\})? (\S+)$/m;

/** The last success time a previous file recorded (0 when there is none). */
async function previousSuccess(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const value = Number(LAST_SUCCESS.exec(text)?.[1] ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/**
 * The metrics of one `--once` run, for `file`. No process metrics: node-exporter exports its own
 * `process_*` series, and a textfile repeating those names makes its scrape fail.
 */
export class MetricsFile {
  readonly metrics: GeneratorMetrics;
  private readonly registry: Registry;

  constructor(readonly file: string) {
    this.registry = createMetricsRegistry({
      defaultMetrics: false,
      defaultLabels: { component: 'generator' },
    });
    this.metrics = new GeneratorMetrics(this.registry);
  }

  /**
   * Writes the metrics. A run that did not succeed keeps the success time of the file it
   * replaces, so "time since the last success" survives failed runs.
   */
  async write(): Promise<void> {
    const succeeded = ((await this.metrics.lastSuccess.get()).values[0]?.value ?? 0) > 0;
    if (!succeeded) {
      const before = await previousSuccess(this.file);
      if (before > 0) this.metrics.lastSuccess.set(before);
    }
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, await this.registry.metrics(), { mode: 0o644 });
      await rename(temporary, this.file);
    } catch (err) {
      await rm(temporary, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`--metrics-file: cannot write "${this.file}"${code ? ` (${code})` : ''}`, {
        cause: err,
      });
    }
  }
}
