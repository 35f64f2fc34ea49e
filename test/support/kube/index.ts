export { KubeDouble, parseRoute } from './server';
export type { FailureOptions, KubeDoubleOptions, RequestRecord, Verb } from './server';
export { RESOURCES, findResource, type KubeObject, type ResourceType } from './resources';
export type { KubeStatus } from './status';
