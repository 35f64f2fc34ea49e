/**
 * Graceful shutdown on SIGTERM/SIGINT: turn unready, keep serving for a delay (so load balancers
 * and the API server stop sending new requests), run drain hooks in registration order, exit 0.
 * Signals source and exit are injectable so tests drive it in-process without killing jest.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Health } from './health';

type DrainHook = () => Promise<void> | void;

export interface ShutdownOptions {
  /** How long to keep serving after turning unready, in ms. */
  delayMs: number;
  /** Upper bound for all drain hooks together, in ms (default 30 s); exit 1 when exceeded. */
  drainTimeoutMs?: number;
  health?: Health;
  logger?: Logger;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Where signals come from; default `process`. */
  signalSource?: Pick<EventEmitter, 'on' | 'off'>;
  signals?: readonly NodeJS.Signals[];
}

export class GracefulShutdown {
  private readonly hooks: { name: string; hook: DrainHook }[] = [];
  private running: Promise<number> | undefined;
  private readonly signalSource: Pick<EventEmitter, 'on' | 'off'>;
  private readonly signals: readonly NodeJS.Signals[];
  private readonly exit: (code: number) => void;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.running) {
      this.options.logger?.warn({ signal }, 'second signal during shutdown: exiting now');
      this.exit(1);
      return;
    }
    void this.shutdown(signal);
  };

  constructor(private readonly options: ShutdownOptions) {
    this.signalSource = options.signalSource ?? process;
    this.signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Adds a drain hook; hooks run one after another in the order they were added. */
  onDrain(name: string, hook: DrainHook): this {
    this.hooks.push({ name, hook });
    return this;
  }

  /** Starts listening for the signals. */
  install(): this {
    for (const signal of this.signals) this.signalSource.on(signal, this.onSignal);
    return this;
  }

  uninstall(): void {
    for (const signal of this.signals) this.signalSource.off(signal, this.onSignal);
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /**
   * Runs the sequence once (later calls return the same promise) and calls `exit` with 0, or 1 when a
   * hook failed or draining timed out. Resolves with that exit code.
   */
  shutdown(reason: string): Promise<number> {
    this.running ??= this.run(reason);
    return this.running;
  }

  private async run(reason: string): Promise<number> {
    const { logger, health, delayMs } = this.options;
    health?.markShuttingDown();
    logger?.info({ reason, delayMs }, 'shutting down: not ready, still serving');
    if (delayMs > 0) await sleep(delayMs);
    const code = await this.drain();
    logger?.info({ code }, 'shutdown complete');
    this.uninstall();
    this.exit(code);
    return code;
  }

  private async drain(): Promise<number> {
    const timeoutMs = this.options.drainTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        this.options.logger?.error({ timeoutMs }, 'draining timed out');
        resolve(1);
      }, timeoutMs);
    });
    const drained = (async () => {
      let code = 0;
      for (const { name, hook } of this.hooks) {
        try {
          await hook();
        } catch (err) {
          code = 1;
          this.options.logger?.error(
            { hook: name, err: err instanceof Error ? err.message : String(err) },
            'drain hook failed',
          );
        }
      }
      return code;
    })();
    try {
      return await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
