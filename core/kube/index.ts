export * from './backoff';
export * from './config';
export * from './errors';
export * from './event-recorder';
export * from './informer';
export * from './lease';
export * from './leader';
export * from './lease-settings';
