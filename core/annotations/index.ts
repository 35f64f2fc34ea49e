/**
 * The annotation rules shared by the webhook, `lint` and the registrar.
 * - `analyzeService(service, options)` -> `{ intent, findings }`: the one parser.
 * - `RULES`, `ANNOTATION_SPECS`: the rules as data (docs/annotations.md is rendered from them).
 * - `isNamespaceAllowed`, `weightApplies`, `DEFAULT_SYNC_SETTINGS`: sync-setting rules the
 *   registrar applies and the checks warn about.
 */
export { analyzeService, DEFAULT_SYNC_TAG, isValidSyncTag } from './analyze';
export { ALL_RULES, CONSUL_K8S_READINGS, type Rule } from './rules';
export { DEFAULT_SYNC_SETTINGS } from './sync-settings';
export * from './keys';
export type * from './types';
export { CEL_RULES, type CelRule } from './cel';
export { CEL_VARIABLES } from './cel-variables';
export { CEL_REASONS, NOT_EXPRESSIBLE } from './cel-coverage';
export { celString } from './cel-syntax';
