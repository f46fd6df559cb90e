import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Batch } from '@edgefleet/common';
import { DeviceEvents } from '@edgefleet/registry';
import { TwinPublisher } from './twin-publisher';
import { TwinStateCache } from './twin-state-cache';
import { TwinRepository } from './twin.repository';

/** Connects arriving within this window share one query, as in the rollouts' DeviceActivityListener. */
const COALESCE_MS = 20;
/**
 * Refreshes come already gathered: one cross-node signal carries the ids its sender collected
 * over its own window, so waiting again only delays the delivery (it was 20 ms of every change
 * made through another node).
 */
const REFRESH_COALESCE_MS = 1;
/** Ids per query: each row found carries a desired and a reported document of up to TWIN_MAX_BYTES each. */
const MAX_IDS_PER_QUERY = 500;

/**
 * CONTRACT §3 promises a device the current desired state the moment it subscribes, but the
 * embedded broker keeps retained messages in memory only, so a server restart loses them.
 * The first time a device connects to this process, its desired state and delta (if it has
 * any) are published again, retained; later connects find them retained already, as do
 * devices whose desired state this process published itself.
 */
@Injectable()
export class DesiredStateRepublisher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('TwinRepublish');
  private readonly connects = new Batch<string>(COALESCE_MS, (deviceIds) => this.devicesConnected(deviceIds));
  private readonly onConnected = (deviceId: string): void => {
    if (!this.publisher.knowsDesired(deviceId)) this.connects.add(deviceId);
  };
  /** Another cluster node changed the desired state of devices held here: read and publish it (only if newer). */
  private readonly refreshes = new Batch<string>(REFRESH_COALESCE_MS, (deviceIds) => this.republishFromDatabase([...new Set(deviceIds)]));
  private readonly onRefresh = (deviceIds: string[]): void => deviceIds.forEach((deviceId) => this.refreshes.add(deviceId));
  /** Held by another node now: what this node published may be stale, so its next connect here republishes. */
  private readonly onElsewhere = (deviceIds: string[]): void => deviceIds.forEach((deviceId) => this.publisher.forget(deviceId));

  constructor(
    private readonly deviceEvents: DeviceEvents,
    private readonly repository: TwinRepository,
    private readonly cache: TwinStateCache,
    private readonly publisher: TwinPublisher,
  ) {}

  onModuleInit(): void {
    this.deviceEvents.on('connected', this.onConnected);
    this.deviceEvents.on('refresh', this.onRefresh);
    this.deviceEvents.on('elsewhere', this.onElsewhere);
  }

  async onModuleDestroy(): Promise<void> {
    this.deviceEvents.off('connected', this.onConnected);
    this.deviceEvents.off('refresh', this.onRefresh);
    this.deviceEvents.off('elsewhere', this.onElsewhere);
    await Promise.all([this.connects.drain(), this.refreshes.drain()]);
  }

  async devicesConnected(deviceIds: readonly string[]): Promise<void> {
    // A device connecting twice within the window, or handled by an earlier batch meanwhile.
    await this.republishFromDatabase([...new Set(deviceIds)].filter((deviceId) => !this.publisher.knowsDesired(deviceId)));
  }

  private async republishFromDatabase(pending: readonly string[]): Promise<void> {
    for (let start = 0; start < pending.length; start += MAX_IDS_PER_QUERY) {
      const chunk = pending.slice(start, start + MAX_IDS_PER_QUERY);
      try {
        for (const record of await this.repository.loadWithDesired(chunk)) {
          const cached = await this.cache.applyDesired(record.deviceId, record.desired, record.desiredVersion);
          this.publisher.republish(record, cached);
        }
      } catch (error) {
        // Nothing remembered for these devices: their next connect tries again.
        this.logger.error(`republishing desired state of ${chunk.length} connected device(s) failed: ${(error as Error).message}`);
        continue;
      }
      for (const deviceId of chunk) this.publisher.noteNoDesired(deviceId);
    }
  }
}
