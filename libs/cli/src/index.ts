export * from './exit-codes';
export * from './cli-io';
export * from './program';
