export * from './database-provisioner';
export * from './fleet-server';
export * from './fleet-server.module';
export * from './http-app';
export * from './broker-startup';
export * from './openapi-export';
export * from './port-check';
