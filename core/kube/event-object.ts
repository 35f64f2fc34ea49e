/**
 * The core/v1 Event a recorder writes about an object: the involved object, the Event body
 * (client-go's naming, message cut to MAX_EVENT_MESSAGE), and the keys events are told apart by
 * (per event for de-duplication, per object for the spam filter). Pure but for the random name
 * suffix.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Event, V1ObjectReference } from '@kubernetes/client-node';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  name: string;
  /** Omit for cluster-scoped objects (the Event then goes to `default`). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** Messages longer than this are cut: Events are for people, and etcd objects are not free. */
export const MAX_EVENT_MESSAGE = 1024;

export function eventDedupKey(
  involved: InvolvedObject,
  type: EventType,
  reason: string,
  message: string,
): string {
  const { kind, namespace = '', name, uid = '' } = involved;
  return JSON.stringify([kind, namespace, name, uid, type, reason, message]);
}

/** The Event object to create (pure). */
export function buildEvent(
  involved: InvolvedObject,
  type: EventType,
  reason: string,
  message: string,
  source: { component: string; instance: string },
  now: Date,
): CoreV1Event {
  const namespace = involved.namespace || 'default';
  const involvedObject: V1ObjectReference = {
    kind: involved.kind,
    apiVersion: involved.apiVersion,
    name: involved.name,
  };
  if (involved.namespace) involvedObject.namespace = involved.namespace;
  if (involved.uid) involvedObject.uid = involved.uid;
  if (involved.resourceVersion) involvedObject.resourceVersion = involved.resourceVersion;
  const text = message.length > MAX_EVENT_MESSAGE ? `${message.slice(0, MAX_EVENT_MESSAGE - 3)}...` : message;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // Same naming as client-go's recorder: object name + a unique hex suffix.
    metadata: { name: `${involved.name}.${uniqueSuffix(now)}`, namespace },
    involvedObject,
    type,
    reason,
    message: text,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: source.component, host: source.instance },
    reportingComponent: source.component,
    reportingInstance: source.instance,
  };
}

/** The key of the involved object itself (whatever the event), for per-object limits. */
export function involvedObjectKey(involved: InvolvedObject): string {
  return JSON.stringify([involved.kind, involved.namespace ?? '', involved.name, involved.uid ?? '']);
}

function uniqueSuffix(now: Date): string {
  return now.getTime().toString(16) + randomBytes(3).toString('hex');
}
