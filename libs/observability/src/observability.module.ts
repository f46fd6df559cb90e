import { Global, Module } from '@nestjs/common';
import { DatabaseHealth } from './database.health';
import { HealthRegistry } from './health.registry';
import { MetricsRegistry } from './metrics.registry';
import { ObservabilityController } from './observability.controller';

@Global()
@Module({
  controllers: [ObservabilityController],
  providers: [MetricsRegistry, HealthRegistry, DatabaseHealth],
  exports: [MetricsRegistry, HealthRegistry],
})
export class ObservabilityModule {}
