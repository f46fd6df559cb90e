import { DomainError, DomainErrorCode } from '@edgefleet/common';

interface Lane {
  running: boolean;
  waiting: Array<() => void>;
}

/**
 * Runs each device's chunk requests one at a time, with at most `maxWaiting` queued behind
 * the one in flight; more are refused. A device asking faster than it is served therefore
 * holds one read buffer and a short queue, never a share of the server that grows with its
 * request rate.
 */
export class DeviceSerialQueue {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly maxWaiting: number) {}

  async run<T>(deviceId: string, task: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(deviceId);
    if (!lane) {
      lane = { running: false, waiting: [] };
      this.lanes.set(deviceId, lane);
    }
    if (lane.running) {
      if (lane.waiting.length >= this.maxWaiting) {
        throw new DomainError(DomainErrorCode.RateLimited, `too many chunk requests in flight (at most ${this.maxWaiting + 1}); wait for data before asking again`);
      }
      await new Promise<void>((resolve) => lane!.waiting.push(resolve));
    }
    lane.running = true;
    try {
      return await task();
    } finally {
      const next = lane.waiting.shift();
      if (next) next();
      else {
        lane.running = false;
        this.lanes.delete(deviceId);
      }
    }
  }

  /** Devices with a request running or queued. */
  get activeDevices(): number {
    return this.lanes.size;
  }
}
