import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DomainError, DomainErrorCode, NotFoundError, UnavailableError, bisectBatch } from '@edgefleet/common';
import type { TwinDocument } from '@edgefleet/contracts';
import { isRowFault } from '@edgefleet/database';
import { HealthRegistry } from '@edgefleet/observability';
import { DeviceEvents } from '@edgefleet/registry';
import { IsoClock } from './iso-clock';
import { jsonBytes, setOwn } from './json-document';
import { applyMergePatch, changedTopLevelKeys, mergePatchChanges, mergePatchInPlace } from './merge-patch';
import { type ReportedWrite, firmwareVersionOf } from './twin';
import { TwinTooLargeError } from './twin-errors';
import { TwinEvents } from './twin-events';
import { TwinMetrics } from './twin-metrics';
import { TWIN_OPTIONS, type TwinOptions } from './twin-options';
import { ReportedAcks } from './reported-acks';
import { TwinPublisher } from './twin-publisher';
import { type CachedTwin, TwinStateCache } from './twin-state-cache';
import { TwinRepository } from './twin.repository';

/** Rows per statement; a backlog larger than this is written in several statements, one after another. */
const MAX_ROWS_PER_WRITE = 5_000;
/** A failed write is tried again after 1 s, doubling per consecutive failure up to 10 s. */
const RETRY_AFTER_MS = 1_000;
const MAX_RETRY_AFTER_MS = 10_000;
/**
 * A QoS 1 report not written within this long (the database down) is refused unacknowledged,
 * which closes its connection: the device keeps it and sends it again after reconnecting, rather
 * than having its connection stall behind an outage of unknown length.
 */
const MAX_ACK_WAIT_MS = 10_000;
const BACKLOG_FULL = 'the server is behind writing reported state: this report was not stored; send it again later';
const DATABASE_DOWN = 'the database is unavailable: this report was not stored; send it again later';
/**
 * A flush this late starts from the next merge instead of waiting for its timer: under a burst
 * of device traffic libuv's poll phase can run socket reads back to back for hundreds of ms
 * before timers get their turn, and the writes must keep pace with the reads meanwhile.
 */
const OVERDUE_MS = 5;

/**
 * The reported-state hot path (`devices/{id}/state/reported`). Reports are merged in memory
 * in arrival order and each device is marked dirty; every flush interval the dirty devices'
 * current state is written in one statement. Flushes run one after another and always
 * write a device's latest state, so nothing is reordered and the last value always lands.
 * A QoS 1 report is acknowledged only once a write carrying it has landed; a QoS 0 one is
 * best effort: a crash loses at most the reports of the last interval, and the device's next
 * report repairs it (README "Device twins"). Memory for unwritten reports is bounded
 * (TWIN_MAX_PENDING_MB); a batch Postgres refuses for one device's data is split to find it.
 */
@Injectable()
export class ReportedStateIngest implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('TwinIngest');
  private readonly dirty = new Set<string>();
  /** Disconnected devices whose cached twin can go once written. */
  private readonly idle = new Set<string>();
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** When the scheduled flush is due (performance.now()); Infinity when none is scheduled. */
  private flushDueAt = Infinity;
  private readonly clock = new IsoClock();
  private readonly applied;
  private readonly unchanged;
  private readonly refused;
  private readonly notStored;
  private readonly refusedRows;
  private readonly acks = new ReportedAcks();
  /** Bytes of JSON of the reports merged and not yet written, over all cached twins. */
  private pendingBytes = 0;
  private pendingReports = 0;
  /** Writes failed in a row (not for a row's data); 0 once one lands. */
  private failures = 0;
  private lastError?: string;

  constructor(
    private readonly cache: TwinStateCache,
    private readonly repository: TwinRepository,
    private readonly publisher: TwinPublisher,
    private readonly events: TwinEvents,
    private readonly deviceEvents: DeviceEvents,
    private readonly metrics: TwinMetrics,
    @Inject(TWIN_OPTIONS) private readonly options: TwinOptions,
    private readonly health: HealthRegistry,
  ) {
    this.applied = metrics.appliedReports;
    this.unchanged = metrics.reports.labels('unchanged');
    this.refused = metrics.reports.labels('refused');
    this.notStored = metrics.reports.labels('not-stored');
    this.refusedRows = metrics.refusedRows;
    metrics.observeBacklog(() => ({ reports: this.pendingReports, bytes: this.pendingBytes, rows: this.dirty.size, acks: this.acks.size }));
  }

  onModuleInit(): void {
    this.health.register('twin-ingest', () => ({
      status: this.failures > 0 ? 'down' : 'up',
      pendingReports: this.pendingReports,
      pendingBytes: this.pendingBytes,
      ...(this.lastError ? { error: this.lastError } : {}),
    }));
    this.deviceEvents.on('connected', (deviceId) => this.idle.delete(deviceId));
    this.deviceEvents.on('disconnected', (deviceId) => this.idle.add(deviceId));
    this.deviceEvents.on('credentials-revoked', (deviceId) => this.idle.add(deviceId));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushAll();
  }

  /**
   * Merges one report (JSON merge patch) into the device's reported state. Throws, changing
   * nothing, when the result would be too large, or (UnavailableError for QoS 1, so it is not
   * acknowledged) when the backlog of unwritten reports is full. For QoS 0, synchronous when
   * the twin is cached (every report of a device after its first), so the hot path costs no
   * promise; for QoS 1, resolves once the state it leaves is in Postgres.
   */
  report(deviceId: string, patch: TwinDocument, qos = 0): Promise<void> | void {
    if (this.pendingBytes >= this.options.maxPendingBytes) {
      this.notStored.inc();
      throw qos > 0 ? new UnavailableError(BACKLOG_FULL) : new DomainError(DomainErrorCode.RateLimited, BACKLOG_FULL);
    }
    const twin = this.cache.get(deviceId);
    if (twin) {
      this.merge(twin, patch);
      return qos > 0 ? this.stored(twin) : undefined;
    }
    return this.cache.load(deviceId).then(
      (loaded) => {
        if (!loaded) {
          this.refused.inc();
          throw new NotFoundError('device', deviceId);
        }
        this.merge(loaded, patch);
        return qos > 0 ? this.stored(loaded) : undefined;
      },
      () => {
        this.notStored.inc();
        throw new UnavailableError(DATABASE_DOWN);
      },
    );
  }

  /** Resolves once the twin's state as merged now is in Postgres (at once when it already is). */
  private stored(twin: CachedTwin): Promise<void> | void {
    if (twin.persistedSeq >= twin.mergedSeq) return;
    return this.acks.wait(twin.deviceId, twin.mergedSeq);
  }

  private merge(twin: CachedTwin, patch: TwinDocument): void {
    const changed = this.mergeWithinLimit(twin, patch);
    if (changed === undefined) return void this.unchanged.inc();
    const now = this.clock.iso();
    for (const key of changed.keys) {
      if (Object.hasOwn(twin.reported, key)) setOwn(twin.reportedMeta, key, now);
      else delete twin.reportedMeta[key];
    }
    twin.reportedVersion += 1;
    twin.mergedSeq += 1;
    twin.unpersisted.push(patch);
    twin.unpersistedBytes += changed.patchBytes;
    this.pendingBytes += changed.patchBytes;
    this.pendingReports += 1;
    this.applied.inc();
    this.dirty.add(twin.deviceId);
    this.schedule(this.options.flushIntervalMs);
    if (!this.flushing && performance.now() > this.flushDueAt + OVERDUE_MS) void this.flush();
  }

  /**
   * Merges the patch into the cached reported state and returns the top-level keys it
   * changed; throws, changing nothing, when the result would be too large. A merge patch adds
   * at most its own JSON to a document, so while that bound stays under the limit the patch
   * is applied in place: the cached documents are long-lived, and a fresh copy per report
   * was most of what survived into V8's old space at 20,000 reports/s. Past the bound the
   * result is built aside and measured (the raw payload would not do as a bound: `1e20`
   * grows 5×).
   */
  private mergeWithinLimit(twin: CachedTwin, patch: TwinDocument): { keys: string[]; patchBytes: number } | undefined {
    // A report that repeats the state (a heartbeat) costs one read-only walk, not a measure.
    if (!mergePatchChanges(twin.reported, patch)) return undefined;
    const patchBytes = jsonBytes(patch);
    const bound = twin.reportedBytesBound + patchBytes;
    if (bound <= this.options.maxBytes) {
      twin.reportedBytesBound = bound;
      const keys = mergePatchInPlace(twin.reported, patch);
      return keys.length ? { keys, patchBytes } : undefined;
    }
    const reported = applyMergePatch(twin.reported, patch);
    const bytes = jsonBytes(reported);
    if (bytes > this.options.maxBytes) {
      this.refused.inc();
      throw new TwinTooLargeError('reported', bytes, this.options.maxBytes);
    }
    const keys = changedTopLevelKeys(twin.reported, reported, patch);
    twin.reported = reported;
    twin.reportedBytesBound = bytes;
    return keys.length ? { keys, patchBytes } : undefined;
  }

  /** Writes what is dirty now (one statement, up to MAX_ROWS_PER_WRITE devices); resolves once written or failed and requeued. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushDueAt = Infinity;
    while (this.flushing) await this.flushing;
    if (this.dirty.size > 0) {
      this.flushing = this.write(this.takeDirty()).finally(() => (this.flushing = undefined));
      await this.flushing;
    }
    this.evictIdle();
    if (this.dirty.size > 0) this.schedule(0);
  }

  /** Everything reported so far, for shutdown and tests. */
  async flushAll(): Promise<void> {
    for (let attempt = 0; attempt < 5 && (this.dirty.size > 0 || this.flushing); attempt++) await this.flush();
  }

  private takeDirty(): ReportedWrite[] {
    const writes: ReportedWrite[] = [];
    for (const deviceId of this.dirty) {
      if (writes.length >= MAX_ROWS_PER_WRITE) break;
      this.dirty.delete(deviceId);
      const twin = this.cache.get(deviceId);
      if (!twin) continue;
      const firmwareVersion = firmwareVersionOf(twin.reported);
      writes.push({
        deviceId,
        reported: twin.reported,
        reportedMeta: twin.reportedMeta,
        reportedVersion: twin.reportedVersion,
        firmwareVersion,
        firmwareChanged: firmwareVersion !== twin.persistedFirmware,
      });
    }
    return writes;
  }

  private async write(writes: ReportedWrite[]): Promise<void> {
    const stopTimer = this.metrics.flushSeconds.startTimer();
    // What of each device's reports this write carries (more may arrive while it runs).
    const carried = new Map(writes.map((write) => [write.deviceId, this.carriedBy(write.deviceId)]));
    const outcome = await bisectBatch(writes, (part) => this.repository.writeReported(part), isRowFault).finally(stopTimer);
    for (const { row, error } of outcome.refused) this.refuseRow(row.deviceId, error);
    if (outcome.unwritten) this.retryLater(outcome.unwritten.rows, outcome.unwritten.error);
    else [this.failures, this.lastError] = [0, undefined];
    const superseded: string[] = [];
    for (const part of outcome.written) {
      this.metrics.rowsWritten.inc(part.result.size);
      for (const write of part.rows) {
        const twin = this.cache.get(write.deviceId);
        if (!twin) continue;
        if (!part.result.has(write.deviceId)) {
          superseded.push(write.deviceId);
          continue;
        }
        this.landed(twin, carried.get(write.deviceId)!);
        if (write.firmwareVersion !== twin.persistedFirmware) {
          twin.persistedFirmware = write.firmwareVersion;
          if (write.firmwareVersion !== null) this.emitFirmware(write.deviceId, write.firmwareVersion);
        }
        this.publisher.refreshDelta(twin);
      }
    }
    if (superseded.length) await this.rebase(superseded);
  }

  private carriedBy(deviceId: string): { reports: number; bytes: number; seq: number } {
    const twin = this.cache.get(deviceId);
    return { reports: twin?.unpersisted.length ?? 0, bytes: twin?.unpersistedBytes ?? 0, seq: twin?.mergedSeq ?? 0 };
  }

  /** A write carrying these of the twin's reports landed: they leave the backlog, and their acknowledgements go. */
  private landed(twin: CachedTwin, carried: { reports: number; bytes: number; seq: number }): void {
    twin.unpersisted.splice(0, carried.reports);
    twin.unpersistedBytes -= carried.bytes;
    this.pendingBytes -= carried.bytes;
    this.pendingReports -= carried.reports;
    twin.persistedSeq = carried.seq;
    this.acks.persisted(twin.deviceId, carried.seq);
  }

  /**
   * The database is unavailable (not a row's fault): the cache holds each device's latest
   * state, so re-marking them dirty loses nothing; tried again with a growing delay. QoS 1
   * reports waiting too long are refused meanwhile, unacknowledged.
   */
  private retryLater(writes: ReportedWrite[], error: Error): void {
    this.failures += 1;
    this.lastError = error.message;
    const delayMs = Math.min(RETRY_AFTER_MS * 2 ** (this.failures - 1), MAX_RETRY_AFTER_MS);
    this.logger.error(`writing reported state of ${writes.length} device(s) failed (${this.failures} in a row), will retry in ${delayMs} ms: ${error.message}`);
    for (const write of writes) this.dirty.add(write.deviceId);
    const expired = this.acks.expire(MAX_ACK_WAIT_MS, new UnavailableError(DATABASE_DOWN));
    if (expired) this.notStored.inc(expired);
    this.schedule(delayMs);
  }

  /**
   * Postgres refused this device's row alone (found by splitting its batch): its unwritten
   * reports are dropped and the twin reloads from the database at its next report, so the
   * rest of the fleet's writes go on. Its QoS 1 reports are refused, told on the errors topic.
   */
  private refuseRow(deviceId: string, error: Error): void {
    this.refusedRows.inc();
    this.logger.error(`reported state of '${deviceId}' refused by the database, its unwritten reports dropped: ${error.message}`);
    this.forget(deviceId, new DomainError(DomainErrorCode.Invalid, 'the reported state could not be stored'));
  }

  /** Drops the cached twin and what it holds unwritten; its waiting acknowledgements fail with `error`. */
  private forget(deviceId: string, error: Error): void {
    const twin = this.cache.get(deviceId);
    if (twin) {
      this.pendingBytes -= twin.unpersistedBytes;
      this.pendingReports -= twin.unpersisted.length;
    }
    this.dirty.delete(deviceId);
    this.cache.evict(deviceId);
    this.acks.fail(deviceId, error);
  }

  /**
   * A write that found a newer row: another server (several share one database behind an
   * external broker, each device message going to any of them) wrote this device's reported
   * state after we loaded it. Re-apply our unwritten reports on top of what is there and
   * write again, so neither server's reports are lost.
   */
  private async rebase(deviceIds: string[]): Promise<void> {
    let loaded;
    try {
      loaded = await this.repository.loadMany(deviceIds);
    } catch (error) {
      this.logger.error(`reloading ${deviceIds.length} twin(s) written elsewhere failed: ${(error as Error).message}`);
      for (const deviceId of deviceIds) this.forget(deviceId, new UnavailableError(DATABASE_DOWN));
      return;
    }
    const now = new Date().toISOString();
    for (const deviceId of deviceIds) {
      const twin = this.cache.get(deviceId);
      const found = loaded.get(deviceId);
      if (!twin || !found) {
        this.forget(deviceId, new UnavailableError(DATABASE_DOWN));
        continue;
      }
      let reported = found.record.reported;
      const meta = { ...found.record.reportedMeta };
      for (const patch of twin.unpersisted) {
        const next = applyMergePatch(reported, patch);
        for (const key of changedTopLevelKeys(reported, next, patch)) {
          if (Object.hasOwn(next, key)) setOwn(meta, key, now);
          else delete meta[key];
        }
        reported = next;
      }
      twin.reported = reported;
      twin.reportedBytesBound = jsonBytes(reported);
      twin.reportedMeta = meta;
      twin.reportedVersion = found.record.reportedVersion + (twin.unpersisted.length ? 1 : 0);
      twin.persistedFirmware = found.registryFirmware;
      if (twin.unpersisted.length) this.dirty.add(deviceId);
      else this.acks.persisted(deviceId, (twin.persistedSeq = twin.mergedSeq));
    }
  }

  private emitFirmware(deviceId: string, version: string): void {
    try {
      this.events.emit('firmware-reported', deviceId, version);
    } catch (error) {
      this.logger.error(`a 'firmware-reported' listener failed for '${deviceId}': ${(error as Error).message}`);
    }
  }

  private evictIdle(): void {
    for (const deviceId of this.idle) {
      if (this.dirty.has(deviceId)) continue;
      this.forget(deviceId, new UnavailableError(DATABASE_DOWN));
      this.idle.delete(deviceId);
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.flushDueAt = performance.now() + delayMs;
    this.timer = setTimeout(() => void this.flush(), delayMs);
    this.timer.unref();
  }
}
