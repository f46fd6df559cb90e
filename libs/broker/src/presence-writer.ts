import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions } from '@edgefleet/cluster';
import { DeviceRepository, type PresenceChange, RECENT_CONNECTS_KEPT } from '@edgefleet/registry';
import { BROKER_OPTIONS, type BrokerOptions } from './broker-options';

const FLUSH_INTERVAL_MS = 200;
const FLUSH_AT_CHANGES = 2_000;
const RETRY_AFTER_MS = 1_000;

/**
 * Buffers online/offline changes and writes them as one statement every ~200 ms (or
 * sooner when many pile up). Flushes run one after another and a device's later change
 * replaces its earlier one in the buffer, so the last state always wins. With the embedded
 * broker each change also records this cluster node as the session's holder (applySessions).
 */
@Injectable()
export class PresenceWriter {
  private readonly logger = new Logger('PresenceWriter');
  private pending = new Map<string, PresenceChange>();
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly devices: DeviceRepository,
    @Inject(BROKER_OPTIONS) private readonly options: BrokerOptions,
    @Inject(CLUSTER_OPTIONS) private readonly cluster: ClusterOptions,
  ) {}

  /** `connected`: the device began a session (a CONNECT, or its announcement with an external broker), not just a sign of life. */
  record(deviceId: string, online: boolean, at = new Date(), connected = false): void {
    // Session starts accumulate across the changes the buffer folds together (a reconnect loop is many of them).
    const connects = this.pending.get(deviceId)?.connects ?? [];
    if (connected) connects.push(at);
    if (connects.length > RECENT_CONNECTS_KEPT) connects.shift();
    this.pending.delete(deviceId);
    this.pending.set(deviceId, { deviceId, online, at, ...(connects.length ? { connects } : {}) });
    if (this.pending.size >= FLUSH_AT_CHANGES) void this.flush();
    else this.schedule(FLUSH_INTERVAL_MS);
  }

  /** Writes everything recorded so far; resolves when it is in the database (or the write failed and was logged). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(batch: PresenceChange[]): Promise<void> {
    try {
      if (this.options.brokerUrl) await this.devices.applyPresence(batch);
      else await this.devices.applySessions(batch, this.cluster.nodeId);
    } catch (error) {
      this.logger.error(`presence write of ${batch.length} change(s) failed, will retry: ${(error as Error).message}`);
      // Put back only what no newer change has replaced.
      for (const change of batch) {
        const newer = this.pending.get(change.deviceId);
        if (!newer) this.pending.set(change.deviceId, change);
        else if (change.connects) newer.connects = [...change.connects, ...(newer.connects ?? [])].slice(-RECENT_CONNECTS_KEPT);
      }
      this.schedule(RETRY_AFTER_MS);
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), delayMs);
    this.timer.unref();
  }
}
