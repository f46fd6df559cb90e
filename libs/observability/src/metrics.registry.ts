import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per server; libs add their own metrics to it. */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'edgefleet_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'edgefleet_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  /** Shared by every batched write or lookup that splits a failing batch to find the row at fault (`bisectBatch`). */
  readonly batchRowsRefused = new Counter({
    name: 'edgefleet_batch_rows_refused_total',
    help: 'Rows the database refused, found by splitting the batch that carried them (the rest of the batch was written), by batch',
    labelNames: ['batch'] as const,
    registers: [this.registry],
  });

  constructor() {
    for (const batch of ['twin-reported', 'job-status', 'credentials'] as const) this.batchRowsRefused.inc({ batch }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'edgefleet_' });
  }
}
