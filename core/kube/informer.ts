import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ListPromise,
} from '@kubernetes/client-node';
import { Backoff, type BackoffOptions } from './backoff';
import { kubeErrorStatus } from './errors';

/**
 * A cache of one resource kind kept current by client-node's list+watch informer.
 *
 * client-node re-watches after a clean close and relists after 410 Gone, but any other failure
 * (list error, watch refused, connection reset) emits `error` and the informer stops for good.
 * This wrapper restarts it with jittered exponential backoff, and never after our own `stop()`
 * (client-node reports the abort of its own watch as one more `error`).
 *
 * It is client-node's `makeInformer` (a ListWatch over a Watch) with one difference: the Watch
 * refuses to connect after `stop()` and aborts anything that connected meanwhile. client-node's own
 * stop() only aborts the watch it already holds, so a stop() during a relist or a re-watch leaks
 * a live watch that keeps the process (and a test run) alive.
 *
 * Changes are level-based: `onChange(key)` only says "look at this key again"; read the cache
 * (`get`) to learn the current state, which is `undefined` after a deletion.
 */
interface InformerOptions<T extends KubernetesObject> {
  /** API path to watch, e.g. `/api/v1/services` or `/apis/discovery.k8s.io/v1/endpointslices`. */
  path: string;
  /**
   * The matching list call for one chunk, e.g. `(page) => core.listServiceForAllNamespaces(page)`.
   * The informer lists in chunks of `pageSize` (`limit` / `continue`, as client-go's pager), so a
   * list of 10,000 objects never sits in memory as one response before `transform` shapes it.
   */
  list: (page: ListPage) => Promise<KubernetesListObject<T>>;
  /** Objects per list chunk (default 500, client-go's pager default). */
  pageSize?: number;
  /** Label selector for both list (apply it in `list` too) and watch. */
  labelSelector?: string;
  /**
   * Applied to every object before it enters the cache (as client-go's SetTransform), to keep
   * only what the consumer reads: cached objects otherwise carry managedFields and
   * last-applied-configuration, most of their weight. Must keep `metadata.name`, `namespace` and
   * `resourceVersion`, which the cache itself uses.
   */
  transform?: (obj: T) => T;
  backoff?: BackoffOptions;
  /** Optional hooks for logs and metrics. */
  hooks?: InformerHooks;
}

interface InformerHooks {
  /** The informer failed and will restart after `delayMs`. */
  onError?: (error: unknown, delayMs: number) => void;
  /** The first list completed and the cache is usable. */
  onSynced?: () => void;
  /** A start attempt (the first one or a restart) completed without error. */
  onStarted?: () => void;
}

/** One chunk of a list: the client-node list methods take these parameters. */
interface ListPage {
  limit: number;
  _continue?: string;
}

const DEFAULT_PAGE_SIZE = 500;

export type ChangeListener = (key: string) => void;

/**
 * Lists every chunk and shapes each as it arrives. The result carries the resourceVersion of the
 * list (every chunk of one list shares it), where the watch starts. When the continue token has
 * expired (410, the server compacted that revision), it lists again in one piece, as client-go's
 * pager does: a consistent snapshot matters more than the chunking.
 */
async function listInChunks<T extends KubernetesObject>(
  list: (page: ListPage) => Promise<KubernetesListObject<T>>,
  pageSize: number,
  transform: ((obj: T) => T) | undefined,
): Promise<KubernetesListObject<T>> {
  const shape = (items: T[]) => (transform ? items.map(transform) : items);
  const items: T[] = [];
  let page = await list({ limit: pageSize });
  for (;;) {
    for (const item of shape(page.items)) items.push(item);
    const token = page.metadata?._continue;
    if (!token) break;
    try {
      page = await list({ limit: pageSize, _continue: token });
    } catch (error) {
      if (kubeErrorStatus(error)?.code !== 410) throw error;
      const whole = await list({ limit: 0 });
      return { ...whole, items: shape(whole.items) };
    }
  }
  return { ...page, items, metadata: { ...page.metadata, _continue: undefined } };
}

/** Cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class KubeInformer<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly watch: StoppableWatch;
  private readonly backoff: Backoff;
  private readonly listeners = new Set<ChangeListener>();
  private readonly syncWaiters: Array<() => void> = [];
  private stopped = true;
  private synced = false;
  private listed = false;
  private attemptFailed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: InformerOptions<T>,
  ) {
    const transform = options.transform;
    this.watch = new StoppableWatch(kubeConfig, transform as ((obj: unknown) => unknown) | undefined);
    const list: ListPromise<T> = async () => {
      const result = await listInChunks(options.list, options.pageSize ?? DEFAULT_PAGE_SIZE, transform);
      // A list that finishes after stop() must not lead to a new watch.
      if (this.stopped) throw new Error('informer stopped');
      this.listed = true;
      return result;
    };
    this.informer = new ListWatch<T>(options.path, this.watch, list, false, options.labelSelector);
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...options.backoff });
    const emit = (obj: T): void => this.emit(obj);
    this.informer.on('add', emit);
    this.informer.on('update', emit);
    this.informer.on('delete', emit);
    this.informer.on('error', (error: unknown) => this.handleError(error));
  }

  /** Starts list+watch. Resolves when the first attempt finished (see `waitForSync` for the cache). */
  start(): Promise<void> {
    if (!this.stopped) return this.running ?? Promise.resolve();
    this.stopped = false;
    this.watch.stopped = false;
    this.running = this.attempt();
    return this.running;
  }

  /** Stops watching; no restart happens afterwards. The cache keeps its last content. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.informer.stop();
    this.watch.abortAll();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been loaded into the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** Registers a listener; returns a function that removes it. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(obj: T): void {
    if (this.stopped) return;
    const key = objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
    for (const listener of this.listeners) listener(key);
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.attemptFailed = false;
    try {
      await this.informer.start();
    } catch (error) {
      // e.g. a token file that cannot be read: same treatment as an `error` event.
      this.handleError(error);
      return;
    }
    if (this.stopped) return;
    // The cache is filled as soon as a list succeeded, even if the watch after it failed.
    if (this.listed && !this.synced) {
      this.synced = true;
      this.options.hooks?.onSynced?.();
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    if (this.attemptFailed) return;
    this.backoff.reset();
    this.options.hooks?.onStarted?.();
  }

  private handleError(error: unknown): void {
    this.attemptFailed = true;
    if (this.stopped || this.restartTimer) return;
    const delayMs = this.backoff.next();
    this.options.hooks?.onError?.(error, delayMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.running = this.attempt();
    }, delayMs);
  }
}

const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

/**
 * A Watch that can be closed for good: no connection after `stopped`, and abortAll() for open ones.
 * Objects of ADDED, MODIFIED and DELETED events pass through `transform` (BOOKMARK and ERROR
 * events carry no object to cache).
 */
class StoppableWatch extends Watch {
  stopped = false;
  private readonly open = new Set<AbortController>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly transform?: (obj: unknown) => unknown,
  ) {
    super(kubeConfig);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.stopped) return new AbortController();
    // `done` can run before super.watch() returns (a refused watch), so no reference to its result.
    let ended = false;
    const transform = this.transform;
    const deliver = transform
      ? (phase: string, apiObj: unknown, watchObj?: unknown) =>
          callback(phase, OBJECT_EVENTS.has(phase) ? transform(apiObj) : apiObj, watchObj)
      : callback;
    const controller = await super.watch(path, queryParams, deliver, (err: unknown) => {
      ended = true;
      done(err);
    });
    if (ended) return controller;
    controller.signal.addEventListener('abort', () => this.open.delete(controller), { once: true });
    if (this.stopped) controller.abort();
    else if (!controller.signal.aborted) this.open.add(controller);
    return controller;
  }

  abortAll(): void {
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }
}
