/** The Consul HTTP API double (test infrastructure; never imported by product code). */
export * from './server';
export { type AclRules } from './acl';
