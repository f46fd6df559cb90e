export * from './fleet-config';
export * from './load-config';
export * from './artifacts-config';
export * from './twin-config';
export * from './rollouts-config';
export * from './identity-config';
export * from './cluster-config';
