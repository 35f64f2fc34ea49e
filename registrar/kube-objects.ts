/**
 * The fields of the Kubernetes objects the registrar reads to compute desired state (Service,
 * EndpointSlice with its endpoints, Node), beyond what the annotation rules read: the shapes the
 * informer caches hold, the event mapping indexes and desired.ts consumes. Types only, plus the
 * label that ties an EndpointSlice to its Service.
 */
import type { SlicePortLike } from '../core/annotations/ports';
import type { ServiceLike } from '../core/annotations/types';

/** The Service fields we read, beyond what the annotation rules read. */
export interface SyncedService extends ServiceLike {
  metadata?: ServiceLike['metadata'] & { uid?: string };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> | null } | null };
}

export interface EndpointLike {
  addresses?: string[] | null;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } | null;
  targetRef?: { kind?: string; name?: string } | null;
}

export interface EndpointSliceLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> | null };
  endpoints?: EndpointLike[] | null;
  ports?: SlicePortLike[] | null;
}

export interface NodeLike {
  status?: { addresses?: Array<{ type?: string; address?: string }> | null } | null;
}

/** Label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
