import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { AuthModule } from '@edgefleet/auth';
import { BrokerModule } from '@edgefleet/broker';
import type { FleetConfig } from '@edgefleet/config';
import { DatabaseModule } from '@edgefleet/database';
import { ObservabilityModule } from '@edgefleet/observability';
import { RegistryModule } from '@edgefleet/registry';

export const FLEET_CONFIG = Symbol('FLEET_CONFIG');

/** Everything the fleet server runs, wired once. */
@Module({})
export class FleetServerModule {
  static forRoot(config: FleetConfig, databaseUrl: string): DynamicModule {
    return {
      module: FleetServerModule,
      global: true,
      imports: [
        DatabaseModule.forRoot({ url: databaseUrl }),
        ObservabilityModule,
        AuditModule,
        AuthModule,
        RegistryModule,
        BrokerModule.forRoot(config.mqtt),
      ],
      providers: [{ provide: FLEET_CONFIG, useValue: config }],
      exports: [FLEET_CONFIG],
    };
  }
}
