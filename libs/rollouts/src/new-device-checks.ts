import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DeviceEvents } from '@edgefleet/registry';

/**
 * Registrations and retags seen by this server bring a check forward, at most this often per
 * rollout, so a bulk import of 10,000 devices is a few checks rather than thousands.
 */
export const MIN_CHECK_INTERVAL_MS = 2_000;
/**
 * Changes no event announces (another server's registrations, reported state or presence that a
 * selector filters on) are found by this periodic check.
 */
export const MAX_CHECK_INTERVAL_MS = 10_000;

/**
 * When a rollout with `includeNewDevices` should next look for devices that came to match its
 * target. Per server and in memory: a restart or a second server only adds a harmless early check.
 */
@Injectable()
export class NewDeviceChecks implements OnModuleInit, OnModuleDestroy {
  private changedAt = 0;
  private readonly checkedAt = new Map<string, number>();
  private readonly onChanged = (): void => {
    this.changedAt = Date.now();
  };

  constructor(private readonly deviceEvents: DeviceEvents) {}

  onModuleInit(): void {
    this.deviceEvents.on('changed', this.onChanged);
  }

  onModuleDestroy(): void {
    this.deviceEvents.off('changed', this.onChanged);
  }

  due(rolloutId: string, now: Date): boolean {
    const last = this.checkedAt.get(rolloutId);
    if (last === undefined) return true;
    const elapsed = now.getTime() - last;
    return elapsed >= MAX_CHECK_INTERVAL_MS || (this.changedAt >= last && elapsed >= MIN_CHECK_INTERVAL_MS);
  }

  checked(rolloutId: string, now: Date): void {
    if (!this.checkedAt.has(rolloutId) && this.checkedAt.size >= 10_000) this.checkedAt.clear();
    this.checkedAt.set(rolloutId, now.getTime());
  }

  forget(rolloutId: string): void {
    this.checkedAt.delete(rolloutId);
  }
}
