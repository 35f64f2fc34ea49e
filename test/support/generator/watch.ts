/**
 * `generate --watch` run in-process for end-to-end tests: the parsed flags go to `runGenerate`
 * with an isolated git environment, its logs captured into a string and the health/metrics port
 * it binds recorded; the caller stops it with `signals.emit('SIGTERM', 'SIGTERM')`.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '../../../core/runtime/logger';
import type { GenerateFlags } from '../../../generator/config';
import { runGenerate } from '../../../generator/main';
import { ISOLATED_GIT_ENV } from './git-fixture';

/** Runs `generate --watch` in-process with its logs captured; `state.port` is set once it listens. */
export function startWatch(flags: GenerateFlags, env: NodeJS.ProcessEnv) {
  const signals = new EventEmitter();
  const state = { port: 0, logs: '' };
  const exited = runGenerate(flags, {
    stdout: () => undefined,
    stderr: () => undefined,
    env: { ...process.env, ...ISOLATED_GIT_ENV, ...env },
    logger: createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, callback) {
          state.logs += String(chunk);
          callback();
        },
      }),
    }),
    signals,
    onListening: (bound) => {
      state.port = bound;
    },
  });
  return { exited, signals, state, base: () => `http://127.0.0.1:${state.port}` };
}
