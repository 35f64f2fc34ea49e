/** Consul access shared by the registrar and the generator. */
export * from './config';
export * from './client';
export * from './errors';
export * from './catalog-reads';
export * from './catalog-writes';
export * from './txn-batches';
export { nextBlockingIndex } from './blocking-read';
export type { CatalogRegistration, CatalogTxnOp, HealthCheck, NodeService } from './catalog-types';
export * from './token-file';
export * from './login-settings';
export * from './login';
