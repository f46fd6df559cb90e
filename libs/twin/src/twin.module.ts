import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { RegistryModule } from '@edgefleet/registry';
import { DesiredStateRepublisher } from './desired-state-republisher';
import { ReportedStateIngest } from './reported-state-ingest';
import { TwinController } from './twin.controller';
import { TwinEvents } from './twin-events';
import { TwinMetrics } from './twin-metrics';
import { TWIN_OPTIONS, type TwinOptions } from './twin-options';
import { TwinPublisher } from './twin-publisher';
import { TwinReportedHandler } from './twin-reported.handler';
import { TwinRepository } from './twin.repository';
import { TwinService } from './twin.service';
import { TwinStateCache } from './twin-state-cache';

/** Device twins: desired state over the API, reported state over MQTT, the delta between them. */
@Module({})
export class TwinModule {
  static forRoot(options: TwinOptions): DynamicModule {
    return {
      module: TwinModule,
      imports: [AuditModule, RegistryModule],
      controllers: [TwinController, TwinReportedHandler],
      providers: [
        { provide: TWIN_OPTIONS, useValue: options },
        TwinRepository,
        TwinStateCache,
        TwinPublisher,
        TwinMetrics,
        TwinEvents,
        ReportedStateIngest,
        DesiredStateRepublisher,
        TwinService,
      ],
      exports: [TwinService, TwinEvents],
    };
  }
}
