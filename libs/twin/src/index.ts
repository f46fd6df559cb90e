export * from './merge-patch';
export * from './twin';
export * from './twin-delta';
export * from './twin-events';
export * from './twin.module';
export * from './twin.service';
