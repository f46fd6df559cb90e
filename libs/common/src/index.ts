export * from './actor';
export * from './batch';
export * from './cursor';
export * from './domain-error';
export * from './secret-token';
export * from './free-port';
export * from './open-files-limit';
export * from './secret-file';
