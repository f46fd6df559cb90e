import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { type DeferredCount, MetricsRegistry, counterWithDeferred } from '@edgefleet/observability';

import type { CertificateRefusalReason } from '@edgefleet/identity';

export type ConnectRefusalReason =
  | 'client-id-mismatch'
  | 'missing-credentials'
  | 'unknown-device'
  | 'bad-password'
  | 'method-not-allowed'
  | 'claim-spent'
  | 'capacity'
  | 'error'
  | CertificateRefusalReason;
export type DropReason = 'acl' | 'rate-limit' | 'too-large' | 'not-handled';

/** The broker's Prometheus metrics, on the server's registry. */
@Injectable()
export class BrokerMetrics {
  readonly connectedClients: Gauge;
  readonly connects: Counter;
  readonly refusedConnects: Counter<'reason'>;
  /** Counted per message; reaches `edgefleet_mqtt_messages_received_total` when collected. */
  readonly messagesIn: DeferredCount;
  readonly messagesOut: Counter;
  readonly droppedMessages: Counter<'reason'>;
  readonly heldMessages: Counter;
  readonly refusedSubscriptions: Counter;
  private connectedCount: () => number = () => 0;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    const count = () => this.connectedCount();
    this.connectedClients = new Gauge({
      name: 'edgefleet_mqtt_connected_clients',
      help: 'MQTT sessions currently connected',
      registers,
      collect() {
        this.set(count());
      },
    });
    this.connects = new Counter({ name: 'edgefleet_mqtt_connects_total', help: 'MQTT CONNECTs accepted', registers });
    this.refusedConnects = new Counter({
      name: 'edgefleet_mqtt_connects_refused_total',
      help: 'MQTT CONNECTs refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.messagesIn = counterWithDeferred({ name: 'edgefleet_mqtt_messages_received_total', help: 'PUBLISH packets accepted from devices', registers }).deferred;
    this.messagesOut = new Counter({ name: 'edgefleet_mqtt_messages_sent_total', help: 'PUBLISH packets delivered to devices', registers });
    this.droppedMessages = new Counter({
      name: 'edgefleet_mqtt_messages_dropped_total',
      help: 'PUBLISH packets from devices dropped, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.heldMessages = new Counter({
      name: 'edgefleet_mqtt_messages_held_total',
      help: 'PUBLISH packets from devices held back while the server was overloaded (their connections stop being read meanwhile)',
      registers,
    });
    this.refusedSubscriptions = new Counter({
      name: 'edgefleet_mqtt_subscriptions_refused_total',
      help: 'Subscriptions answered with failure 0x80',
      registers,
    });
    for (const reason of ['client-id-mismatch', 'missing-credentials', 'unknown-device', 'bad-password', 'capacity', 'error'] as const) {
      this.refusedConnects.inc({ reason }, 0);
    }
    for (const reason of ['acl', 'rate-limit', 'too-large', 'not-handled'] as const) this.droppedMessages.inc({ reason }, 0);
  }

  /** The gauge reads the live count at scrape time. */
  countConnectedWith(count: () => number): void {
    this.connectedCount = count;
  }
}
