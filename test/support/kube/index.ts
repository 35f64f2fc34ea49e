export { KubeDouble } from './server';
export { type KubeObject } from './resources';
