/**
 * Follows `CONSUL_HTTP_TOKEN_FILE`: when the file changes (a rotated Kubernetes Secret swaps its
 * `..data` symlink, a Vault agent rewrites it), the client's token is replaced, so requests use
 * the new token without a restart. Polling (`fs.watchFile`) follows symlinks and survives the file
 * being replaced, where inotify watches on the old inode would not.
 */
import { readFile, unwatchFile, watchFile, type Stats } from 'node:fs';
import { setClientToken, type ConsulClient } from './client';

interface TokenFileWatchOptions {
  consul: ConsulClient;
  path: string;
  /** Poll interval (ms). Default 2000. */
  intervalMs?: number;
  /** Told that a new token is in use (never the token itself). */
  onRotated?: () => void;
  /** The file could not be read or holds no single-line token; the old token stays in use. */
  onError?: (reason: string) => void;
}

/** Starts following the file; returns a function that stops it. */
export function watchTokenFile(options: TokenFileWatchOptions): () => void {
  const { consul, path } = options;
  const listener = (current: Stats, previous: Stats) => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.ino === previous.ino &&
      current.size === previous.size
    )
      return;
    readFile(path, 'utf8', (error, text) => {
      if (error) return options.onError?.(`CONSUL_HTTP_TOKEN_FILE: cannot read "${path}" (${error.code})`);
      const token = text.trim();
      if (!token || /[\r\n]/.test(token)) {
        return options.onError?.('CONSUL_HTTP_TOKEN_FILE: the file holds no single-line token');
      }
      if (setClientToken(consul, token)) options.onRotated?.();
    });
  };
  const watcher = watchFile(path, { interval: options.intervalMs ?? 2000, persistent: false }, listener);
  watcher.unref?.();
  return () => unwatchFile(path, listener);
}
