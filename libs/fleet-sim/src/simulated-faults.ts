import type { DeviceClient } from '@edgefleet/device-sdk';
import { type ValueRange, pick } from './value-range';

/** A share of the devices that misbehave after updating to one version (health gate demos and tests). */
export interface FaultShare {
  share: number;
  version: string;
}

export interface FaultOptions {
  /** After updating, reconnect again and again (a crash or reboot loop) while running the version. */
  crashLoop?: FaultShare;
  /** After updating, go offline and stay away. */
  dark?: FaultShare;
  /** After updating, report the version they ran before again (they rolled themselves back). */
  rollback?: FaultShare;
  /** How long a crash-looping device stays up between crashes, ms. */
  crashLoopUptime?: ValueRange;
  random?: () => number;
}

const DEFAULT_UPTIME: ValueRange = { min: 1_000, max: 2_000 };
/** How long after its success a device rolls itself back, ms. */
const ROLLBACK_AFTER_MS = 2_000;
/** How long a crashed device stays down before it reconnects, ms. */
const CRASH_DOWN_MS = 200;

/**
 * Applies the faults to a device whose firmware job just succeeded. Each fault is drawn once
 * per success, for its share of the devices on its version. Holds no per-device state beyond
 * the timers of crash-looping devices.
 */
export class SimulatedFaults {
  private readonly random: () => number;
  private readonly looping = new Set<DeviceClient>();
  private stopped = false;

  constructor(private readonly options: FaultOptions) {
    this.random = options.random ?? Math.random;
  }

  get any(): boolean {
    return Boolean(this.options.crashLoop || this.options.dark || this.options.rollback);
  }

  /** The device reported `succeeded`; `before` is the version it ran before this job. */
  succeeded(device: DeviceClient, before: string): 'crashLoop' | 'dark' | 'rollback' | null {
    const version = device.firmwareVersion;
    const hits = (fault?: FaultShare) => fault !== undefined && fault.version === version && this.random() < fault.share;
    if (hits(this.options.dark)) {
      void device.stop();
      return 'dark';
    }
    if (hits(this.options.rollback)) {
      // A while later, as a device's own watchdog would: at once, the server would not have confirmed the update yet.
      setTimeout(() => this.stopped || device.reportState({ firmware: { version: before } }), ROLLBACK_AFTER_MS).unref();
      return 'rollback';
    }
    if (hits(this.options.crashLoop) && !this.looping.has(device)) {
      this.looping.add(device);
      this.crashAfterUptime(device, version!);
      return 'crashLoop';
    }
    return null;
  }

  stop(): void {
    this.stopped = true;
  }

  private crashAfterUptime(device: DeviceClient, version: string): void {
    const timer = setTimeout(async () => {
      // Another version installed (a revert, say) or the fleet is stopping: the loop ends.
      if (this.stopped || device.firmwareVersion !== version) return void this.looping.delete(device);
      // A job in progress (the revert, say) is let through; the loop goes on after it.
      if (device.currentJob) return this.crashAfterUptime(device, version);
      await device.stop();
      await new Promise((resolve) => setTimeout(resolve, CRASH_DOWN_MS));
      if (this.stopped) return void this.looping.delete(device);
      await device.start().catch(() => undefined);
      this.crashAfterUptime(device, version);
    }, pick(this.options.crashLoopUptime ?? DEFAULT_UPTIME, this.random));
    timer.unref();
  }
}
