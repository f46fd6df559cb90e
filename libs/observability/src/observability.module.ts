import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DatabaseHealth } from './database.health';
import { DISK_SPACE_OPTIONS, DiskSpaceHealth, type DiskSpaceOptions } from './disk-space.health';
import { HealthRegistry } from './health.registry';
import { MetricsRegistry } from './metrics.registry';
import { ObservabilityController } from './observability.controller';

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(disk: DiskSpaceOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [MetricsRegistry, HealthRegistry, DatabaseHealth, DiskSpaceHealth, { provide: DISK_SPACE_OPTIONS, useValue: disk }],
      exports: [MetricsRegistry, HealthRegistry],
    };
  }
}
