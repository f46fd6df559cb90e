import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { RegistryModule } from '@edgefleet/registry';
import { ArtifactAccessRegistration } from './artifact-access.registration';
import { DeviceJobsController } from './device-jobs.controller';
import { DeviceActivityListener } from './device-activity.listener';
import { HealthGate } from './health/health-gate.service';
import { RolloutDecisionRepository } from './health/rollout-decision.repository';
import { RolloutHealthRepository } from './health/rollout-health.repository';
import { JobPublisher } from './job-publisher';
import { JobStatusHandler } from './job-status.handler';
import { JobStatusService } from './job-status.service';
import { NewDeviceChecks } from './new-device-checks';
import { RolloutControlService } from './rollout-control.service';
import { RolloutEvents } from './rollout-events';
import { RolloutJobRepository } from './rollout-job.repository';
import { RolloutMetrics } from './rollout-metrics';
import { ROLLOUTS_OPTIONS, type RolloutsOptions } from './rollout-options';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutStepper } from './rollout-stepper';
import { RolloutTargetRepository } from './rollout-target.repository';
import { RolloutTargets } from './rollout-targets';
import { RolloutController } from './rollout.controller';
import { RolloutRepository } from './rollout.repository';
import { RolloutService } from './rollout.service';

/**
 * Firmware and config rollouts (CONTRACT §2, §4): the API, the Postgres-backed scheduler,
 * job dispatch to devices and their status reports. Needs the artifacts, twin and gateway
 * modules in the same app (their services are resolved globally).
 */
@Module({})
export class RolloutsModule {
  static forRoot(options: RolloutsOptions): DynamicModule {
    return {
      module: RolloutsModule,
      imports: [AuditModule, RegistryModule],
      controllers: [RolloutController, DeviceJobsController, JobStatusHandler],
      providers: [
        { provide: ROLLOUTS_OPTIONS, useValue: options },
        ArtifactAccessRegistration,
        DeviceActivityListener,
        HealthGate,
        JobPublisher,
        JobStatusService,
        NewDeviceChecks,
        RolloutControlService,
        RolloutDecisionRepository,
        RolloutEvents,
        RolloutHealthRepository,
        RolloutJobRepository,
        RolloutMetrics,
        RolloutRepository,
        RolloutScheduler,
        RolloutService,
        RolloutStepper,
        RolloutTargetRepository,
        RolloutTargets,
      ],
      exports: [RolloutService, RolloutScheduler, JobStatusService],
    };
  }
}
