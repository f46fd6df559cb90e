export * from './deferred-count';
export * from './health.registry';
export * from './http-metrics';
export * from './logger';
export * from './metrics.registry';
export * from './observability.module';
export * from './disk-space.health';
