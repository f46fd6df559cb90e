import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Client, type Notification } from 'pg';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '@edgefleet/observability';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options';
import { type ClusterSignal, type SignalKind, SIGNAL_KINDS, encodeSignals, parseSignal } from './cluster-signal';

const CHANNEL = 'edgefleet_cluster';
/** Signals raised within this window go out together: a rollout step to 2,000 devices is a few NOTIFYs. */
const COALESCE_MS = 10;
/** Device ids waiting to be sent; past it new ones are dropped and counted (a lost wake-up is recovered at reconnect). */
const MAX_QUEUED = 100_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface ClusterSignalMap {
  /** Something new for these devices in Postgres (desired state, jobs): re-read and send it if you hold them. */
  wake: [deviceIds: string[]];
  /** Close these devices' sessions: credential revoked (decommission, rotation). */
  revoke: [deviceIds: string[]];
  /** `{deviceId} {fingerprint}` entries: close a session signed in with that certificate. */
  'certificate-revoked': [entries: string[]];
  /** `{deviceId} {ms}` entries: the device opened a session on another node then; close an older one here (MQTT 3.1.1 §3.1.4-2, across nodes). */
  takeover: [entries: string[]];
  /** Listening again after the connection was lost: signals sent meanwhile never arrived, so check what they would have said. */
  resumed: [];
  /** Fingerprints of CAs registered on another node: reload the trusted CA set. */
  'ca-changed': [entries: string[]];
}

/**
 * Cross-node signals over Postgres LISTEN/NOTIFY: one dedicated connection per node, batched
 * payloads under Postgres' 8,000-byte limit. Signals are hints: a lost or repeated one costs a
 * late or a repeated re-read, never wrong data, since the receiver reads what to do from the
 * database. A node ignores its own signals.
 */
@Injectable()
export class ClusterSignals extends EventEmitter<ClusterSignalMap> implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ClusterSignals');
  private readonly queued = new Map<SignalKind, Set<string>>(SIGNAL_KINDS.map((kind) => [kind, new Set()]));
  private queuedCount = 0;
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;
  private reconnectMs = RECONNECT_MIN_MS;
  /** The connection was lost since the last LISTEN. */
  private lost = false;
  private readonly dropped: Counter<'kind'>;
  private readonly received: Counter<'kind'>;

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    metrics: MetricsRegistry,
  ) {
    super();
    this.dropped = new Counter({ name: 'edgefleet_cluster_signals_dropped_total', help: 'Cross-node signals dropped (queue full or NOTIFY failed), by kind', labelNames: ['kind'], registers: [metrics.registry] });
    this.received = new Counter({ name: 'edgefleet_cluster_signals_received_total', help: 'Device ids received in cross-node signals from other nodes, by kind', labelNames: ['kind'], registers: [metrics.registry] });
    const queued = (): number => this.queuedCount;
    new Gauge({ name: 'edgefleet_cluster_signals_queued', help: 'Device ids waiting to be sent to other nodes', registers: [metrics.registry], collect() {
      this.set(queued());
    } });
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.flush();
    await this.sending;
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  /** Queues a signal about a device for the other nodes. */
  send(kind: SignalKind, entry: string): void {
    const set = this.queued.get(kind)!;
    if (set.has(entry)) return;
    if (this.queuedCount >= MAX_QUEUED) return void this.dropped.inc({ kind });
    set.add(entry);
    this.queuedCount++;
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queuedCount === 0) return;
    const batches: { kind: SignalKind; entries: string[] }[] = [];
    for (const [kind, set] of this.queued) {
      if (set.size) batches.push({ kind, entries: [...set] });
      set.clear();
    }
    this.queuedCount = 0;
    this.sending = this.sending.then(() => this.notify(batches));
  }

  private async notify(batches: { kind: SignalKind; entries: string[] }[]): Promise<void> {
    for (const { kind, entries } of batches) {
      for (const payload of encodeSignals(this.options.nodeId, kind, entries)) {
        try {
          if (!this.client) throw new Error('not connected');
          await this.client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
        } catch (error) {
          this.dropped.inc({ kind }, entries.length);
          this.logger.warn(`${kind} signal for ${entries.length} device(s) not sent: ${(error as Error).message}`);
        }
      }
    }
  }

  private async connect(): Promise<void> {
    // Named so that an operator (or a test) can find each node's listener in pg_stat_activity.
    const client = new Client({ connectionString: this.options.databaseUrl, application_name: `edgefleet-signals ${this.options.nodeId}`.slice(0, 63) });
    client.on('notification', (message) => this.receive(message));
    client.on('error', (error) => {
      this.logger.warn(`signal connection lost: ${error.message}`);
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.reconnectMs = RECONNECT_MIN_MS;
    if (this.lost) {
      this.lost = false;
      this.logger.log('signal connection back: checking what signals sent meanwhile would have said');
      this.emit('resumed');
    }
  }

  /** Backs off up to RECONNECT_MAX_MS between attempts; signals sent meanwhile are dropped and counted. */
  private reconnectLater(client: Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    this.lost = true;
    const delay = this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((error: Error) => {
        this.logger.warn(`signal connection: ${error.message}; retrying`);
        this.client = client;
        this.reconnectLater(client);
      });
    }, delay).unref();
  }

  private receive(message: Notification): void {
    const signal: ClusterSignal | undefined = parseSignal(message.payload);
    if (!signal || signal.from === this.options.nodeId) return;
    this.received.inc({ kind: signal.kind }, signal.entries.length);
    this.emit(signal.kind, signal.entries);
  }
}
