export * from './fleet-config';
export * from './load-config';
