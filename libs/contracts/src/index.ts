export * from './api-role';
export * from './device-identity';
export * from './device-tag';
export * from './topics';
