export * from './device-query.resolver';
export * from './devices/device';
export * from './devices/device-events';
export * from './devices/device-filter';
export * from './devices/device.repository';
export * from './devices/device.service';
export * from './registry.module';
