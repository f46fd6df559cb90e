import { statfs } from 'node:fs/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { HealthRegistry } from './health.registry';
import { MetricsRegistry } from './metrics.registry';

export const DISK_SPACE_OPTIONS = Symbol('DISK_SPACE_OPTIONS');

export interface DiskSpaceOptions {
  /** Folders whose file systems hold the server's data (the data folder, and any volume mounted inside it). */
  paths: string[];
  /** Less free space than this on any of them is a warning in /health (FLEET_DISK_MIN_FREE_MB). */
  minFreeBytes: number;
}

/** How often free space is looked at between /health requests, to log a warning when it runs low. */
const CHECK_INTERVAL_MS = 30_000;
const MIB = 1024 * 1024;

/**
 * `disk` in /health: the least free space among the data folders (statfs). Low space is a
 * warning, not an outage: /health stays 200 with `warnings`, while uploads that no longer fit
 * are refused with 507.
 */
@Injectable()
export class DiskSpaceHealth implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Disk');
  private readonly freeBytes: Gauge;
  private timer?: NodeJS.Timeout;
  private warned = false;

  constructor(
    @Inject(DISK_SPACE_OPTIONS) private readonly options: DiskSpaceOptions,
    private readonly health: HealthRegistry,
    metrics: MetricsRegistry,
  ) {
    this.freeBytes = new Gauge({ name: 'edgefleet_data_dir_free_bytes', help: 'Free bytes on the fullest file system holding the data folder', registers: [metrics.registry] });
  }

  onModuleInit(): void {
    this.health.register('disk', () => this.check());
    this.timer = setInterval(() => void this.check().catch(() => undefined), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<{ status: 'up'; path: string; freeBytes: number; minFreeBytes: number; warning?: string }> {
    let fullest = { path: this.options.paths[0], freeBytes: Infinity };
    for (const path of this.options.paths) {
      const stats = await statfs(path).catch(() => undefined);
      if (!stats) continue;
      const freeBytes = Number(stats.bavail) * Number(stats.bsize);
      if (freeBytes < fullest.freeBytes) fullest = { path, freeBytes };
    }
    this.freeBytes.set(fullest.freeBytes);
    const { minFreeBytes } = this.options;
    const low = fullest.freeBytes < minFreeBytes;
    if (low && !this.warned) this.logger.warn(`low disk space: ${Math.floor(fullest.freeBytes / MIB)} MiB free under ${fullest.path} (FLEET_DISK_MIN_FREE_MB is ${minFreeBytes / MIB})`);
    this.warned = low;
    const warning = low ? `low disk space: ${Math.floor(fullest.freeBytes / MIB)} MiB free under ${fullest.path}, below ${minFreeBytes / MIB} MiB` : undefined;
    return { status: 'up', ...fullest, minFreeBytes, ...(warning ? { warning } : {}) };
  }
}
