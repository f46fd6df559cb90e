import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { SocketClosedReason } from './socket-budget';
import { type DeferredCount, MetricsRegistry, counterWithDeferred } from '@edgefleet/observability';

import type { CertificateRefusalReason } from '@edgefleet/identity';

export type ConnectRefusalReason =
  | 'invalid-client-id'
  | 'client-id-mismatch'
  | 'missing-credentials'
  | 'unknown-device'
  | 'bad-password'
  | 'method-not-allowed'
  | 'claim-spent'
  | 'capacity'
  | 'throttled'
  | 'error'
  | CertificateRefusalReason;
/** Why the server closed a connection of its own accord, outside CONNECT refusals. */
export type ConnectionClosedReason = SocketClosedReason | 'outbound-queue';
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
  readonly openSockets: Gauge;
  readonly waitingSockets: Gauge;
  readonly closedConnections: Counter<'reason'>;
  readonly throttledSources: Gauge;
  private connectedCount: () => number = () => 0;
  private socketCounts: { open(): number; waiting(): number } = { open: () => 0, waiting: () => 0 };
  private throttleSize: () => number = () => 0;

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
    const sockets = () => this.socketCounts;
    this.openSockets = new Gauge({
      name: 'edgefleet_mqtt_open_sockets',
      help: 'Sockets open on the MQTT listeners (TCP, TLS, WebSocket), sessions and those not yet past CONNECT; they count against MQTT_MAX_CONNECTIONS',
      registers,
      collect() {
        this.set(sockets().open());
      },
    });
    this.waitingSockets = new Gauge({
      name: 'edgefleet_mqtt_sockets_awaiting_connect',
      help: 'Sockets open on the MQTT listeners that have not sent CONNECT yet',
      registers,
      collect() {
        this.set(sockets().waiting());
      },
    });
    this.closedConnections = new Counter({
      name: 'edgefleet_mqtt_connections_closed_total',
      help: 'Connections the server closed: capacity (no room at accept), evicted (silent longest, closed to make room), connect-timeout (no CONNECT within MQTT_CONNECT_TIMEOUT_MS), outbound-queue (not reading, over MQTT_MAX_OUTBOUND_KB queued), stale-session (a cluster node\'s session sweep found it revoked or taken over elsewhere)',
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of ['capacity', 'evicted', 'connect-timeout', 'outbound-queue', 'stale-session'] as const) this.closedConnections.inc({ reason }, 0);
    const throttleSize = () => this.throttleSize();
    this.throttledSources = new Gauge({
      name: 'edgefleet_mqtt_auth_failure_sources',
      help: 'Source addresses with recent failed MQTT authentication remembered by the throttle (bounded)',
      registers,
      collect() {
        this.set(throttleSize());
      },
    });
    for (const reason of ['invalid-client-id', 'client-id-mismatch', 'missing-credentials', 'unknown-device', 'bad-password', 'capacity', 'throttled', 'error'] as const) {
      this.refusedConnects.inc({ reason }, 0);
    }
    for (const reason of ['acl', 'rate-limit', 'too-large', 'not-handled'] as const) this.droppedMessages.inc({ reason }, 0);
  }

  /** The gauge reads the live count at scrape time. */
  countConnectedWith(count: () => number): void {
    this.connectedCount = count;
  }

  countSocketsWith(counts: { open(): number; waiting(): number }): void {
    this.socketCounts = counts;
  }

  countThrottledSourcesWith(size: () => number): void {
    this.throttleSize = size;
  }
}
