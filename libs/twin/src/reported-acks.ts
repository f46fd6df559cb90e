interface Waiter {
  seq: number;
  since: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * QoS 1 reports waiting for their PUBACK until a write has put them in Postgres: each waits
 * for its device's `persistedSeq` to reach the `mergedSeq` it was merged as (CachedTwin).
 */
export class ReportedAcks {
  private readonly waiting = new Map<string, Waiter[]>();
  private count = 0;

  /** Reports waiting now. */
  get size(): number {
    return this.count;
  }

  wait(deviceId: string, seq: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(deviceId);
      const waiter = { seq, since: performance.now(), resolve, reject };
      if (waiters) waiters.push(waiter);
      else this.waiting.set(deviceId, [waiter]);
      this.count++;
    });
  }

  /** The device's reports up to `seq` are in Postgres: their acknowledgements go. */
  persisted(deviceId: string, seq: number): void {
    const waiters = this.waiting.get(deviceId);
    if (!waiters) return;
    let done = 0;
    while (done < waiters.length && waiters[done].seq <= seq) waiters[done++].resolve();
    this.remove(deviceId, waiters, done);
  }

  /** None of the device's waiting reports will be written. */
  fail(deviceId: string, error: Error): void {
    const waiters = this.waiting.get(deviceId);
    if (!waiters) return;
    for (const waiter of waiters) waiter.reject(error);
    this.remove(deviceId, waiters, waiters.length);
  }

  /** Refuses every report that has waited longer than `maxWaitMs` (its device sends it again); returns how many. */
  expire(maxWaitMs: number, error: Error): number {
    const before = performance.now() - maxWaitMs;
    let expired = 0;
    for (const [deviceId, waiters] of this.waiting) {
      let old = 0;
      // Waiters of a device are in merge order, so the old ones come first.
      while (old < waiters.length && waiters[old].since < before) waiters[old++].reject(error);
      this.remove(deviceId, waiters, old);
      expired += old;
    }
    return expired;
  }

  private remove(deviceId: string, waiters: Waiter[], first: number): void {
    if (first === 0) return;
    this.count -= first;
    if (first === waiters.length) this.waiting.delete(deviceId);
    else waiters.splice(0, first);
  }
}
