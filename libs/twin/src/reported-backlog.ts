import type { ComponentHealth } from '@edgefleet/observability';
import { ReportedAcks } from './reported-acks';
import type { CachedTwin } from './twin-state-cache';

/** A failed write is tried again after 1 s, doubling per consecutive failure up to 10 s. */
const RETRY_AFTER_MS = 1_000;
const MAX_RETRY_AFTER_MS = 10_000;
/**
 * A QoS 1 report not written within this long (the database down) is refused unacknowledged,
 * which closes its connection: the device keeps it and sends it again after reconnecting, rather
 * than having its connection stall behind an outage of unknown length.
 */
export const MAX_ACK_WAIT_MS = 10_000;

/** What a write carried of one twin's unwritten reports, taken as it started. */
export interface Carried {
  reports: number;
  bytes: number;
  seq: number;
}

/**
 * The reported-state ingest's unwritten work: reports merged in memory and not yet in
 * Postgres (bounded by TWIN_MAX_PENDING_MB), the QoS 1 reports waiting for their PUBACK, and
 * the run of failed writes with its growing retry delay.
 */
export class ReportedBacklog {
  readonly acks = new ReportedAcks();
  /** Bytes of JSON of the reports merged and not yet written, over all cached twins. */
  bytes = 0;
  reports = 0;
  /** Writes failed in a row (not for a row's data); 0 once one lands. */
  failures = 0;
  private lastError?: string;

  constructor(private readonly maxBytes: number) {}

  get full(): boolean {
    return this.bytes >= this.maxBytes;
  }

  /** A changing report of `bytes` was merged into the twin. */
  added(twin: CachedTwin, patch: CachedTwin['unpersisted'][number], bytes: number): void {
    twin.mergedSeq += 1;
    twin.unpersisted.push(patch);
    twin.unpersistedBytes += bytes;
    this.bytes += bytes;
    this.reports += 1;
  }

  carriedBy(twin: CachedTwin | undefined): Carried {
    return { reports: twin?.unpersisted.length ?? 0, bytes: twin?.unpersistedBytes ?? 0, seq: twin?.mergedSeq ?? 0 };
  }

  /** A write carrying these of the twin's reports landed: they leave the backlog, and their acknowledgements go. */
  landed(twin: CachedTwin, carried: Carried): void {
    twin.unpersisted.splice(0, carried.reports);
    twin.unpersistedBytes -= carried.bytes;
    this.bytes -= carried.bytes;
    this.reports -= carried.reports;
    this.persisted(twin, carried.seq);
  }

  persisted(twin: CachedTwin, seq: number): void {
    twin.persistedSeq = seq;
    this.acks.persisted(twin.deviceId, seq);
  }

  /** The twin and what it holds unwritten are dropped; its waiting acknowledgements fail with `error`. */
  dropped(deviceId: string, twin: CachedTwin | undefined, error: Error): void {
    if (twin) {
      this.bytes -= twin.unpersistedBytes;
      this.reports -= twin.unpersisted.length;
    }
    this.acks.fail(deviceId, error);
  }

  /** A write failed for a reason not a row's; returns the delay before the next attempt. */
  failed(error: Error): number {
    this.failures += 1;
    this.lastError = error.message;
    return Math.min(RETRY_AFTER_MS * 2 ** (this.failures - 1), MAX_RETRY_AFTER_MS);
  }

  succeeded(): void {
    this.failures = 0;
    this.lastError = undefined;
  }

  health(): ComponentHealth {
    return {
      status: this.failures > 0 ? 'down' : 'up',
      pendingReports: this.reports,
      pendingBytes: this.bytes,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }
}
