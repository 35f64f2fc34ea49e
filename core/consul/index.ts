/** Consul access shared by the registrar and the generator. */
export * from './config';
export * from './client';
export * from './errors';
export * from './catalog';
export * from './token-file';
export * from './login-settings';
export * from './login';
