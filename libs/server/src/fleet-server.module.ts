import { join } from 'node:path';
import { type DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/artifacts';
import { EventStreamSlots } from '@edgefleet/api';
import { AuditModule } from '@edgefleet/audit';
import { AuthModule } from '@edgefleet/auth';
import { BrokerModule } from '@edgefleet/broker';
import { ClusterModule } from '@edgefleet/cluster';
import type { FleetConfig } from '@edgefleet/config';
import { GatewayModule } from '@edgefleet/gateway';
import { IdentityModule } from '@edgefleet/identity';
import { type DatabaseProcess, DatabaseModule } from '@edgefleet/database';
import { MetricsRegistry, ObservabilityModule } from '@edgefleet/observability';
import { ProvisioningModule } from '@edgefleet/provisioning';
import { RegistryModule } from '@edgefleet/registry';
import { RolloutsModule } from '@edgefleet/rollouts';
import { TwinModule } from '@edgefleet/twin';

export const FLEET_CONFIG = Symbol('FLEET_CONFIG');

/** Everything the fleet server runs, wired once. */
@Module({})
export class FleetServerModule {
  /**
   * `extraModules`: more modules to run in the same app (tests register probe handlers this way);
   * `databaseProcess`: the embedded Postgres's supervisor, shown in /health.
   */
  static forRoot(
    config: FleetConfig,
    databaseUrl: string,
    extraModules: NonNullable<DynamicModule['imports']> = [],
    databaseProcess?: DatabaseProcess,
  ): DynamicModule {
    return {
      module: FleetServerModule,
      global: true,
      imports: [
        DatabaseModule.forRoot({ url: databaseUrl, process: databaseProcess }),
        ObservabilityModule.forRoot({
          paths: [config.dataDir, join(config.dataDir, 'artifacts', 'tmp'), join(config.dataDir, 'artifacts', 'blobs')],
          minFreeBytes: config.disk.minFreeBytes,
        }),
        AuditModule,
        AuthModule.forRoot(config.authThrottle),
        RegistryModule,
        ClusterModule.forRoot({ ...config.cluster, databaseUrl }),
        IdentityModule.forRoot({ ...config.identity, dataDir: config.dataDir }),
        BrokerModule.forRoot({ ...config.mqtt, authThrottle: config.authThrottle }),
        GatewayModule.forRoot({ brokerUrl: config.mqtt.brokerUrl }),
        ArtifactsModule.forRoot({ ...config.artifacts, dataDir: config.dataDir, httpHost: config.http.host, httpPort: config.http.port }),
        TwinModule.forRoot(config.twin),
        RolloutsModule.forRoot(config.rollouts),
        ProvisioningModule,
        ...extraModules,
      ],
      providers: [
        { provide: FLEET_CONFIG, useValue: config },
        { provide: EventStreamSlots, useFactory: (metrics: MetricsRegistry) => new EventStreamSlots(config.http.eventStreams, metrics), inject: [MetricsRegistry] },
      ],
      // Re-exported from this global module so features that build on them (rollouts) can inject their services.
      exports: [FLEET_CONFIG, EventStreamSlots, ArtifactsModule, TwinModule],
    };
  }
}
