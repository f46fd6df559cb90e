import { Injectable } from '@nestjs/common';
import type { FleetSummary } from '../devices/device';
import { DeviceRepository } from '../devices/device.repository';
import { OnlineHistory, type OnlineSample } from './online-history';

/** Offline longer than this counts as stale in the summary. */
export const STALE_OFFLINE_MS = 24 * 3600_000;
/**
 * The summary scans every device (≈ 100 ms at 100,000 under load); every open overview polls
 * it, so one scan serves all callers for this long.
 */
export const SUMMARY_TTL_MS = 5_000;

@Injectable()
export class FleetOverviewService {
  private cached?: { at: number; summary: Promise<FleetSummary> };

  constructor(
    private readonly devices: DeviceRepository,
    private readonly history: OnlineHistory,
  ) {}

  /** At most SUMMARY_TTL_MS old; concurrent callers share one query. */
  summary(now = Date.now()): Promise<FleetSummary> {
    if (this.cached && now - this.cached.at < SUMMARY_TTL_MS) return this.cached.summary;
    const summary = this.devices.summary(new Date(now - STALE_OFFLINE_MS));
    this.cached = { at: now, summary };
    summary.catch(() => (this.cached = undefined));
    return summary;
  }

  onlineHistory(): Promise<OnlineSample[]> {
    return this.history.series();
  }
}
