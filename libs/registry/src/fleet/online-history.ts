import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DeviceRepository } from '../devices/device.repository';

export const ONLINE_SAMPLE_MS = 60_000;
/** One day of minute samples. */
export const ONLINE_HISTORY_POINTS = 1_440;

export interface OnlineSample {
  at: Date;
  online: number;
  total: number;
}

/**
 * Devices online over time: a sample each minute, the last day kept in a ring in memory
 * (a restart starts a new series; the overview chart only needs the recent shape).
 * Sampling is one count over the (online, id) index.
 */
@Injectable()
export class OnlineHistory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OnlineHistory');
  private readonly ring: OnlineSample[] = [];
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;

  constructor(private readonly devices: DeviceRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sample(), ONLINE_SAMPLE_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** The samples oldest first; when none was taken yet, one is taken now. */
  async series(): Promise<OnlineSample[]> {
    if (this.ring.length === 0) await this.sample();
    return [...this.ring];
  }

  sample(): Promise<void> {
    this.sampling ??= this.devices
      .presenceCounts()
      .then((counts) => {
        this.ring.push({ at: new Date(), ...counts });
        if (this.ring.length > ONLINE_HISTORY_POINTS) this.ring.shift();
      })
      .catch((error: Error) => this.logger.warn(`sampling devices online failed: ${error.message}`))
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }
}
