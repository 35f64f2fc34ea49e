import type { ServerResponse } from 'node:http';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources';
import type { Change } from './store';

/**
 * One open watch: filters store changes by resource, namespace and selectors, and writes them as
 * newline-delimited `{type, object}` JSON. Objects entering or leaving a selector arrive as
 * ADDED / DELETED, as the real server sends them.
 */
export class WatchStream {
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly resource: ResourceType,
    private readonly namespace: string | undefined,
    private readonly matches: (obj: KubeObject) => boolean,
    readonly allowBookmarks: boolean,
    private readonly sinceRv: number,
  ) {
    res.on('close', () => {
      this.closed = true;
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.res.writableEnded;
  }

  deliver(change: Change): void {
    if (change.resource !== this.resource || change.rv <= this.sinceRv || !this.isOpen) return;
    if (this.namespace !== undefined && change.view.metadata?.namespace !== this.namespace) return;
    const now = this.matches(change.view);
    if (change.type === 'MODIFIED') {
      const before = change.oldView ? this.matches(change.oldView) : false;
      if (now && before) this.send('MODIFIED', change.json);
      else if (now) this.send('ADDED', change.json);
      else if (before) this.send('DELETED', change.json);
    } else if (now) {
      this.send(change.type, change.json);
    }
  }

  sendInitial(json: string): void {
    this.send('ADDED', json);
  }

  bookmark(resourceVersion: number): void {
    if (!this.allowBookmarks || !this.isOpen) return;
    const object = {
      kind: this.resource.kind,
      apiVersion: apiVersionOf(this.resource),
      metadata: { resourceVersion: String(resourceVersion) },
    };
    this.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  error(status: object): void {
    if (this.isOpen) this.res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  }

  /** Clean end of stream, as after a server-side timeout: clients re-watch from their last rv. */
  end(): void {
    if (this.isOpen) this.res.end();
    this.closed = true;
  }

  /** Connection reset: clients see a network error. */
  destroy(): void {
    this.closed = true;
    this.res.destroy();
  }

  private send(type: string, json: string): void {
    this.res.write(`{"type":"${type}","object":${json}}\n`);
  }
}
