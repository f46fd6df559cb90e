export * from './access/artifact-access';
export * from './artifact';
export * from './artifact.service';
export * from './artifacts-options';
export * from './artifacts.module';
export * from './delivery/artifact-links';
