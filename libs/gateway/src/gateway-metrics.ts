import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { type DeferredCount, MetricsRegistry, counterWithDeferred } from '@edgefleet/observability';

export type GatewayOutcome = 'dispatched' | 'refused' | 'failed' | 'unavailable' | 'unrouted';

/** Device messages that reached the gateway, by what became of them. */
@Injectable()
export class GatewayMetrics {
  readonly messages: Counter<'outcome'>;
  /** The hot outcome, counted per message; reaches `messages` when collected. */
  readonly dispatched: DeferredCount;

  constructor(metrics: MetricsRegistry) {
    ({ counter: this.messages, deferred: this.dispatched } = counterWithDeferred(
      {
        name: 'edgefleet_gateway_messages_total',
        help: 'Device messages seen by the gateway: dispatched to a handler, refused (bad payload or domain rule), failed (server error), unavailable (not acknowledged: the database is down or the backlog full), unrouted (no handler for the topic)',
        labelNames: ['outcome'] as const,
        registers: [metrics.registry],
      },
      { outcome: 'dispatched' },
    ));
    for (const outcome of ['dispatched', 'refused', 'failed', 'unavailable', 'unrouted'] as const) this.messages.inc({ outcome }, 0);
  }
}
