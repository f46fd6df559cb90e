import { Injectable } from '@nestjs/common';
import type { FleetSummary } from '../devices/device';
import { DeviceRepository } from '../devices/device.repository';
import { OnlineHistory, type OnlineSample } from './online-history';

/** Offline longer than this counts as stale in the summary. */
export const STALE_OFFLINE_MS = 24 * 3600_000;

@Injectable()
export class FleetOverviewService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly history: OnlineHistory,
  ) {}

  summary(now = new Date()): Promise<FleetSummary> {
    return this.devices.summary(new Date(now.getTime() - STALE_OFFLINE_MS));
  }

  onlineHistory(): Promise<OnlineSample[]> {
    return this.history.series();
  }
}
