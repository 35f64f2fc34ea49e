/** The Consul HTTP API double (test infrastructure; never imported by product code). */
export * from './server';
export {
  AclConfig,
  type AuthMethodSpec,
  type LoginTokenRecord,
  ANONYMOUS_ACCESSOR_ID,
  type AclOptions,
  type AclRules,
  type AclTokenSpec,
  type AccessLevel,
} from './acl';
export { CatalogState } from './state';
export type { CheckRecord, NodeRecord, ServiceRecord } from './state';
