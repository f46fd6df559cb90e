import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '@edgefleet/observability';

@Injectable()
export class RolloutMetrics {
  readonly jobsDispatched: Counter;
  readonly statusReports: Counter<'outcome'>;
  readonly stepDuration: Histogram;
  readonly eventPolls: Counter;

  constructor(metrics: MetricsRegistry) {
    this.jobsDispatched = new Counter({
      name: 'edgefleet_rollout_jobs_dispatched_total',
      help: 'Job documents sent to devices by this server (first sends and retries; not resends on reconnect)',
      registers: [metrics.registry],
    });
    this.statusReports = new Counter({
      name: 'edgefleet_rollout_status_reports_total',
      help: 'Device job status reports, by outcome (applied, ignored, refused)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    this.stepDuration = new Histogram({
      name: 'edgefleet_rollout_step_duration_seconds',
      help: 'Time for one scheduler step of one rollout (one transaction)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [metrics.registry],
    });
    this.eventPolls = new Counter({
      name: 'edgefleet_rollout_event_polls_total',
      help: 'Reads of a rollout feeding its event streams: one a second per watched rollout, however many streams watch it',
      registers: [metrics.registry],
    });
  }
}
