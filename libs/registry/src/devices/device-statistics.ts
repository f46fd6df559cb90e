import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DeviceRepository } from './device.repository';

/** A batch at least this large is a bulk import: planner statistics are refreshed after it. */
const BULK_ROWS = 1_000;
/** Consecutive batches of one import share one ANALYZE. */
const SETTLE_MS = 500;

/**
 * Keeps the planner's statistics of `devices` fresh after bulk imports. Until autovacuum gets
 * to them, Postgres knows nothing of rows just inserted, and the filtered device list picks
 * a bitmap scan and sort (several ms a page) instead of walking the primary key (a fraction
 * of a ms). ANALYZE samples the table, so it costs about the same at any size.
 */
@Injectable()
export class DeviceStatistics implements OnModuleDestroy {
  private readonly logger = new Logger('DeviceStatistics');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly devices: DeviceRepository) {}

  inserted(rows: number): void {
    if (rows < BULK_ROWS) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), SETTLE_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }

  private async refresh(): Promise<void> {
    await this.running;
    this.running = this.devices.analyze().catch((error: Error) => this.logger.warn(`ANALYZE devices failed: ${error.message}`));
    await this.running;
    this.running = undefined;
  }
}
