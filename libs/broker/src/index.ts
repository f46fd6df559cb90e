export * from './broker-listeners';
export * from './broker-options';
export * from './broker.module';
export * from './broker.service';
export * from './connect-checks';
export * from './presence-writer';
