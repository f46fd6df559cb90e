import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions } from '@edgefleet/cluster';
import { bisectBatch } from '@edgefleet/common';
import { isRowFault } from '@edgefleet/database';
import { MetricsRegistry } from '@edgefleet/observability';
import { type DeviceCredential, DeviceRepository } from '@edgefleet/registry';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';

/**
 * Lookups arriving within this window share one query, and while a query runs the next batch
 * keeps filling: a reconnect storm costs a few queries, not thousands, and a busier database
 * gets bigger batches rather than more queries.
 */
const BATCH_WINDOW_MS = 10;
const MAX_BATCH_IDS = 500;
/**
 * Revocation invalidates at once; the TTL only bounds how long an idle entry holds memory. On a
 * cluster node a revocation elsewhere arrives as a signal, which can be lost: there the TTL is the
 * session sweep's interval, so a stale credential opens no session for longer than an open one lasts.
 */
const TTL_MS = 10 * 60_000;

interface Waiter {
  resolve(credential: DeviceCredential | null): void;
  reject(error: unknown): void;
}

interface Batch {
  waiting: Map<string, Waiter[]>;
  /** Ids revoked while this batch's query ran: its answer for them may predate the revocation. */
  revoked: Set<string>;
}

/** Device credentials (password hash, sign-in methods), loaded in batches and dropped the moment a credential is revoked. */
@Injectable()
export class CredentialCache {
  private readonly entries = new Map<string, { credential: DeviceCredential; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private waiting = new Map<string, Waiter[]>();
  private readonly inFlight = new Set<Batch>();
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger('Broker');
  private readonly refusedRows;

  constructor(
    private readonly devices: DeviceRepository,
    @Inject(BROKER_OPTIONS) options: BrokerOptions,
    @Inject(CLUSTER_OPTIONS) cluster: ClusterOptions,
    registry: MetricsRegistry,
  ) {
    this.maxEntries = Math.max(options.maxConnections, 10_000);
    this.ttlMs = cluster.joined ? Math.min(TTL_MS, cluster.sessionSweepMs) : TTL_MS;
    this.refusedRows = registry.batchRowsRefused.labels('credentials');
  }

  /** The device's stored credential, or null if the device is not registered. */
  lookup(deviceId: string): Promise<DeviceCredential | null> {
    const entry = this.entries.get(deviceId);
    if (entry && entry.expiresAt > Date.now()) return Promise.resolve(entry.credential);
    return new Promise((resolve, reject) => this.enqueue(deviceId, { resolve, reject }));
  }

  invalidate(deviceId: string): void {
    this.entries.delete(deviceId);
    for (const batch of this.inFlight) batch.revoked.add(deviceId);
  }

  private enqueue(deviceId: string, waiter: Waiter): void {
    const waiters = this.waiting.get(deviceId);
    if (waiters) waiters.push(waiter);
    else this.waiting.set(deviceId, [waiter]);
    if (this.waiting.size >= MAX_BATCH_IDS) this.loadWaiting();
    else this.timer ??= setTimeout(() => this.loadWaiting(), BATCH_WINDOW_MS);
  }

  private loadWaiting(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size === 0 || (this.inFlight.size > 0 && this.waiting.size < MAX_BATCH_IDS)) return;
    const batch: Batch = { waiting: this.waiting, revoked: new Set() };
    this.waiting = new Map();
    this.inFlight.add(batch);
    this.findCredentials([...batch.waiting.keys()]).then(
      (credentials) => {
        this.batchDone(batch);
        for (const [deviceId, waiters] of batch.waiting) {
          // Revoked mid-query: ask again, so a connect racing a rotation sees the committed state.
          if (batch.revoked.has(deviceId)) {
            for (const waiter of waiters) this.enqueue(deviceId, waiter);
            continue;
          }
          const credential = credentials.get(deviceId) ?? null;
          if (credential !== null) this.remember(deviceId, credential);
          for (const waiter of waiters) waiter.resolve(credential);
        }
      },
      (error: unknown) => {
        this.batchDone(batch);
        for (const waiters of batch.waiting.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  /**
   * One query for the batch; if the database refuses it for one id's data, the batch is split
   * to find that id (`bisectBatch`), which is answered as not registered, and the others
   * get their answer: one bad id must not fail the CONNECTs of every device waiting with it.
   */
  private async findCredentials(ids: string[]): Promise<Map<string, DeviceCredential>> {
    const outcome = await bisectBatch(ids, (part) => this.devices.findCredentials(part), isRowFault);
    if (outcome.unwritten) throw outcome.unwritten.error;
    for (const { row, error } of outcome.refused) {
      this.refusedRows.inc();
      this.logger.warn(`credential lookup of client id ${JSON.stringify(row)} refused by the database: ${error.message}`);
    }
    return new Map(outcome.written.flatMap(({ result }) => [...result]));
  }

  /** The next batch waits out a full window after this one, so a fast database still gets few, larger queries. */
  private batchDone(batch: Batch): void {
    this.inFlight.delete(batch);
    if (this.waiting.size > 0) this.timer ??= setTimeout(() => this.loadWaiting(), BATCH_WINDOW_MS);
  }

  private remember(deviceId: string, credential: DeviceCredential): void {
    this.entries.delete(deviceId);
    this.entries.set(deviceId, { credential, expiresAt: Date.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
