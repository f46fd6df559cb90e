export * from './provisioning.module';
