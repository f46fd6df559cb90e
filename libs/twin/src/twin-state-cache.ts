import { Injectable } from '@nestjs/common';
import type { TwinDocument } from '@edgefleet/contracts';
import { jsonBytes } from './json-document';
import { deltaPayload } from './twin-delta';
import { TwinRepository } from './twin.repository';

/** Loads arriving within this window share one query, so a fleet coming online is a few queries, not thousands. */
const LOAD_WINDOW_MS = 5;
const MAX_LOAD_IDS = 1_000;

/** One active device's twin in memory: the reported side is ahead of the database by at most one flush. */
export interface CachedTwin {
  readonly deviceId: string;
  reported: TwinDocument;
  reportedMeta: Record<string, string>;
  reportedVersion: number;
  /** At least the size of `reported` in bytes of JSON (exact after a full measure, an upper bound after merges since). */
  reportedBytesBound: number;
  desired: TwinDocument;
  desiredVersion: number;
  /** `devices.firmware_version` as last written, to emit 'firmware-reported' only on a change. */
  persistedFirmware: string | null;
  /** The `state/delta` payload retained now (as last published); '' when none is. */
  publishedDelta: string;
  /** Reports merged since the last write that landed, in arrival order (re-applied when another server wrote first). */
  unpersisted: TwinDocument[];
  /** Bytes of JSON of `unpersisted`, counted against the ingest's backlog limit. */
  unpersistedBytes: number;
  /** Changing reports merged into this cached twin so far; the last one's number. */
  mergedSeq: number;
  /** The `mergedSeq` that the last write landed carried: reports up to it are in Postgres. */
  persistedSeq: number;
}

interface PendingLoad {
  resolve(twin: CachedTwin | null): void;
  reject(error: unknown): void;
}

/**
 * Twins of the devices that are reporting, so reports merge and size-check in memory and
 * only batched writes reach Postgres. Loaded on a device's first report, in batches.
 */
@Injectable()
export class TwinStateCache {
  private readonly twins = new Map<string, CachedTwin>();
  private readonly loading = new Map<string, Promise<CachedTwin | null>>();
  private queued = new Map<string, PendingLoad>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly repository: TwinRepository) {}

  get(deviceId: string): CachedTwin | undefined {
    return this.twins.get(deviceId);
  }

  get size(): number {
    return this.twins.size;
  }

  /**
   * The device's twin, loading it if needed; null for an unknown device. Callers awaiting the
   * same load resume in the order they asked, so a device's reports keep their order.
   */
  load(deviceId: string): Promise<CachedTwin | null> {
    const cached = this.twins.get(deviceId);
    if (cached) return Promise.resolve(cached);
    let loading = this.loading.get(deviceId);
    if (!loading) {
      loading = new Promise<CachedTwin | null>((resolve, reject) => this.enqueue(deviceId, { resolve, reject }));
      this.loading.set(deviceId, loading);
    }
    return loading;
  }

  evict(deviceId: string): void {
    this.twins.delete(deviceId);
  }

  /** A committed desired change; older versions arriving late are ignored. Returns the cached twin when there is one. */
  async applyDesired(deviceId: string, desired: TwinDocument, desiredVersion: number): Promise<CachedTwin | undefined> {
    const twin = this.twins.get(deviceId) ?? (await this.loading.get(deviceId)) ?? undefined;
    if (twin && desiredVersion > twin.desiredVersion) {
      twin.desired = desired;
      twin.desiredVersion = desiredVersion;
    }
    return twin;
  }

  private enqueue(deviceId: string, pending: PendingLoad): void {
    this.queued.set(deviceId, pending);
    if (this.queued.size >= MAX_LOAD_IDS) this.loadQueued();
    else this.timer ??= setTimeout(() => this.loadQueued(), LOAD_WINDOW_MS);
  }

  private loadQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = new Map();
    if (batch.size === 0) return;
    this.repository.loadMany([...batch.keys()]).then(
      (loaded) => {
        for (const [deviceId, pending] of batch) {
          this.loading.delete(deviceId);
          const found = loaded.get(deviceId);
          if (!found) {
            pending.resolve(null);
            continue;
          }
          const { record, registryFirmware } = found;
          const twin: CachedTwin = {
            deviceId,
            reported: record.reported,
            reportedMeta: record.reportedMeta,
            reportedVersion: record.reportedVersion,
            reportedBytesBound: jsonBytes(record.reported),
            desired: record.desired,
            desiredVersion: record.desiredVersion,
            persistedFirmware: registryFirmware,
            publishedDelta: deltaPayload(record.desiredVersion, record.desired, record.reported),
            unpersisted: [],
            unpersistedBytes: 0,
            mergedSeq: 0,
            persistedSeq: 0,
          };
          this.twins.set(deviceId, twin);
          pending.resolve(twin);
        }
      },
      (error: unknown) => {
        for (const [deviceId, pending] of batch) {
          this.loading.delete(deviceId);
          pending.reject(error);
        }
      },
    );
  }
}
