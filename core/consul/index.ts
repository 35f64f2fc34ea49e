/** Consul access shared by the registrar and the generator. */
export * from './config';
export * from './client';
export * from './errors';
export * from './catalog-reads';
export * from './catalog-writes';
export * from './txn-batches';
export { blockingTimeoutMs, nextBlockingIndex, type Indexed, type ReadOptions } from './blocking-read';
export type {
  CatalogRegistration,
  CatalogTxnOp,
  CheckStatus,
  HealthCheck,
  NodeService,
  Weights,
} from './catalog-types';
export * from './token-file';
export * from './login-settings';
export * from './login';
