/** How often the event loop's punctuality is sampled. */
const TICK_MS = 10;
/** Released entries dropped from the front of the queue once there are this many, and at least half of it. */
const COMPACT_AFTER = 4_096;

export interface IngestGateOptions {
  /** A tick later than this, not counting the gate's own releases, means the process is overloaded: publishes are held. */
  maxLagMs: number;
  /** While the loop lags, held publishes are released in slices of at most this long, one per tick. */
  releaseSliceMs: number;
  /**
   * Once it keeps time again, in slices of at most this long, back to back with the rest of the
   * event loop (I/O, the API, timers) between them. Longer than `releaseSliceMs`: a held
   * publish also holds back what its device sends next (that keeps each device's order), so
   * slices that are too short leave the gate releasing more slowly than those devices publish.
   */
  drainSliceMs: number;
}

/**
 * Admission control for device publishes. aedes reads a connection's next bytes only once
 * every packet it parsed from the last read has been handled, so holding the handling of
 * publishes while the event loop lags stops reading from the sockets: a flood is pushed back
 * onto the devices by TCP flow control instead of starving the HTTP API and the database
 * writers that share this thread. Under normal load every publish passes straight through.
 *
 * What is held is released in time slices: back to back (with I/O between them) once the
 * loop keeps time again, one slice per tick while it still lags. Lag is measured from the
 * end of the gate's own tick, so draining a backlog never reads as overload by itself.
 * Order is kept per source (a device's connection): once the loop keeps time, a source with
 * nothing held passes straight through while the others' held publishes drain.
 */
export class IngestGate {
  private held: Array<{ source: object; proceed: () => void }> = [];
  /** How many publishes each source has held (sources with none are absent). */
  private readonly heldBySource = new Map<object, number>();
  private next = 0;
  private lagging = false;
  private draining = false;
  private lastTickEnd = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: IngestGateOptions,
    private readonly onHeld: () => void = () => undefined,
  ) {}

  start(): void {
    if (this.timer) return;
    this.lastTickEnd = performance.now();
    this.schedule();
  }

  /** Lets the publish continue now, or once the process has caught up; each source's arrival order is kept. */
  admit(source: object, proceed: () => void): void {
    if (!this.lagging && (this.heldCount === 0 || !this.heldBySource.has(source))) return proceed();
    this.held.push({ source, proceed });
    this.heldBySource.set(source, (this.heldBySource.get(source) ?? 0) + 1);
    this.onHeld();
    if (!this.lagging) this.drainSoon();
  }

  /** Whether the last tick found the loop lagging (publishes are being held). */
  get overloaded(): boolean {
    return this.lagging;
  }

  get heldCount(): number {
    return this.held.length - this.next;
  }

  /** Releases everything held (shutdown must not wait on a gate nobody samples any more). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lagging = false;
    this.release(Infinity);
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    this.lagging = performance.now() - this.lastTickEnd - TICK_MS > this.options.maxLagMs;
    if (this.lagging) this.release(this.options.releaseSliceMs);
    else if (this.heldCount > 0) this.drainSoon();
    this.lastTickEnd = performance.now();
    this.schedule();
  }

  /** One slice after the current I/O, and more after each, until nothing is held or the loop lags again. */
  private drainSoon(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      if (this.lagging || !this.timer) return;
      this.release(this.options.drainSliceMs);
      if (this.heldCount > 0) this.drainSoon();
    });
  }

  /** Oldest first, for up to `sliceMs`; `held` is consumed from `next` and compacted once drained, so a long queue is never copied per slice. */
  private release(sliceMs: number): void {
    const until = performance.now() + sliceMs;
    while (this.next < this.held.length) {
      const { source, proceed } = this.held[this.next++];
      const left = this.heldBySource.get(source)! - 1;
      if (left === 0) this.heldBySource.delete(source);
      else this.heldBySource.set(source, left);
      proceed();
      if (performance.now() >= until) break;
    }
    if (this.next === this.held.length) {
      this.held = [];
      this.next = 0;
    } else if (this.next >= COMPACT_AFTER && this.next * 2 >= this.held.length) {
      this.held = this.held.slice(this.next);
      this.next = 0;
    }
  }
}
