export * from './cluster-options';
export * from './cluster-signal';
export * from './cluster-signals';
export * from './cluster-membership';
export * from './cluster.module';
