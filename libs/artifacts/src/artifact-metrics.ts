import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@edgefleet/observability';

/** Artifact bytes delivered, by transport (`http` for operator and device downloads, `mqtt` for chunks). */
@Injectable()
export class ArtifactMetrics {
  readonly bytesSent: Counter<'transport'>;
  readonly chunkRequests: Counter<'outcome'>;

  constructor(metrics: MetricsRegistry) {
    this.bytesSent = new Counter({
      name: 'edgefleet_artifact_bytes_sent_total',
      help: 'Artifact bytes sent to clients, by transport (http, mqtt); HTTP counts the bytes of each response started',
      labelNames: ['transport'] as const,
      registers: [metrics.registry],
    });
    this.chunkRequests = new Counter({
      name: 'edgefleet_artifact_chunk_requests_total',
      help: 'MQTT chunk requests, by outcome: served, refused (no job, bad range, per-device limit)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }
}
