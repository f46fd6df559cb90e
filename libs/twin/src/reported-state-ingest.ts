import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { NotFoundError } from '@edgefleet/common';
import type { TwinDocument } from '@edgefleet/contracts';
import { DeviceEvents } from '@edgefleet/registry';
import { IsoClock } from './iso-clock';
import { jsonBytes, setOwn } from './json-document';
import { applyMergePatch, changedTopLevelKeys, mergePatchChanges, mergePatchInPlace } from './merge-patch';
import { type ReportedWrite, firmwareVersionOf } from './twin';
import { TwinTooLargeError } from './twin-errors';
import { TwinEvents } from './twin-events';
import { TwinMetrics } from './twin-metrics';
import { TWIN_OPTIONS, type TwinOptions } from './twin-options';
import { TwinPublisher } from './twin-publisher';
import { type CachedTwin, TwinStateCache } from './twin-state-cache';
import { TwinRepository } from './twin.repository';

/** Rows per statement; a backlog larger than this is written in several statements, one after another. */
const MAX_ROWS_PER_WRITE = 5_000;
const RETRY_AFTER_MS = 1_000;
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
 * A crash loses at most the reports of the last interval; the device's next report repairs
 * it (README "Device twins").
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

  constructor(
    private readonly cache: TwinStateCache,
    private readonly repository: TwinRepository,
    private readonly publisher: TwinPublisher,
    private readonly events: TwinEvents,
    private readonly deviceEvents: DeviceEvents,
    private readonly metrics: TwinMetrics,
    @Inject(TWIN_OPTIONS) private readonly options: TwinOptions,
  ) {
    this.applied = metrics.appliedReports;
    this.unchanged = metrics.reports.labels('unchanged');
    this.refused = metrics.reports.labels('refused');
  }

  onModuleInit(): void {
    this.deviceEvents.on('connected', (deviceId) => this.idle.delete(deviceId));
    this.deviceEvents.on('disconnected', (deviceId) => this.idle.add(deviceId));
    this.deviceEvents.on('credentials-revoked', (deviceId) => this.idle.add(deviceId));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushAll();
  }

  /**
   * Merges one report (JSON merge patch) into the device's reported state. Throws, changing
   * nothing, when the result would be too large. Synchronous when the twin is cached (every
   * report of a device after its first), so the hot path costs no promise.
   */
  report(deviceId: string, patch: TwinDocument): Promise<void> | void {
    const twin = this.cache.get(deviceId);
    if (twin) return this.merge(twin, patch);
    return this.cache.load(deviceId).then((loaded) => {
      if (!loaded) {
        this.refused.inc();
        throw new NotFoundError('device', deviceId);
      }
      this.merge(loaded, patch);
    });
  }

  private merge(twin: CachedTwin, patch: TwinDocument): void {
    const changed = this.mergeWithinLimit(twin, patch);
    if (changed.length === 0) return void this.unchanged.inc();
    const now = this.clock.iso();
    for (const key of changed) {
      if (Object.hasOwn(twin.reported, key)) setOwn(twin.reportedMeta, key, now);
      else delete twin.reportedMeta[key];
    }
    twin.reportedVersion += 1;
    twin.unpersisted.push(patch);
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
  private mergeWithinLimit(twin: CachedTwin, patch: TwinDocument): string[] {
    // A report that repeats the state (a heartbeat) costs one read-only walk, not a measure.
    if (!mergePatchChanges(twin.reported, patch)) return [];
    const bound = twin.reportedBytesBound + jsonBytes(patch);
    if (bound <= this.options.maxBytes) {
      twin.reportedBytesBound = bound;
      return mergePatchInPlace(twin.reported, patch);
    }
    const reported = applyMergePatch(twin.reported, patch);
    const bytes = jsonBytes(reported);
    if (bytes > this.options.maxBytes) {
      this.refused.inc();
      throw new TwinTooLargeError('reported', bytes, this.options.maxBytes);
    }
    const changed = changedTopLevelKeys(twin.reported, reported, patch);
    twin.reported = reported;
    twin.reportedBytesBound = bytes;
    return changed;
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
    // How many of each device's reports this write carries (more may arrive while it runs).
    const carried = new Map(writes.map((write) => [write.deviceId, this.cache.get(write.deviceId)?.unpersisted.length ?? 0]));
    let written: Set<string>;
    try {
      written = await this.repository.writeReported(writes);
    } catch (error) {
      this.logger.error(`writing reported state of ${writes.length} device(s) failed, will retry: ${(error as Error).message}`);
      // The cache holds each device's latest state, so re-marking them dirty loses nothing.
      for (const write of writes) this.dirty.add(write.deviceId);
      this.schedule(RETRY_AFTER_MS);
      return;
    } finally {
      stopTimer();
    }
    this.metrics.rowsWritten.inc(written.size);
    const superseded: string[] = [];
    for (const write of writes) {
      const twin = this.cache.get(write.deviceId);
      if (!twin) continue;
      if (!written.has(write.deviceId)) {
        superseded.push(write.deviceId);
        continue;
      }
      twin.unpersisted.splice(0, carried.get(write.deviceId) ?? 0);
      if (write.firmwareVersion !== twin.persistedFirmware) {
        twin.persistedFirmware = write.firmwareVersion;
        if (write.firmwareVersion !== null) this.emitFirmware(write.deviceId, write.firmwareVersion);
      }
      this.publisher.refreshDelta(twin);
    }
    if (superseded.length) await this.rebase(superseded);
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
      for (const deviceId of deviceIds) this.cache.evict(deviceId);
      return;
    }
    const now = new Date().toISOString();
    for (const deviceId of deviceIds) {
      const twin = this.cache.get(deviceId);
      const found = loaded.get(deviceId);
      if (!twin || !found) {
        this.cache.evict(deviceId);
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
      this.cache.evict(deviceId);
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
