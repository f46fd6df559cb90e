/** How often the event loop's punctuality is sampled. */
const TICK_MS = 10;
/** While lagging, each tick releases this fraction of `releasePerTick`. */
const LAGGING_SHARE = 4;
/** Released entries dropped from the front of the queue once there are this many, and at least half of it. */
const COMPACT_AFTER = 4_096;

export interface IngestGateOptions {
  /** A tick later than this means the process is overloaded: publishes are held. */
  maxLagMs: number;
  /** Held publishes let through per punctual tick (a quarter of it per late one), so each burst of work stays short. */
  releasePerTick: number;
}

/**
 * Admission control for device publishes. aedes reads a connection's next bytes only once
 * every packet it parsed from the last read has been handled, so holding the handling of
 * publishes while the event loop lags stops reading from the sockets: a flood is pushed back
 * onto the devices by TCP flow control instead of starving the HTTP API and the database
 * writers that share this thread. Under normal load every publish passes straight through.
 */
export class IngestGate {
  private held: Array<() => void> = [];
  private next = 0;
  private lagging = false;
  private lastTick = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: IngestGateOptions,
    private readonly onHeld: () => void = () => undefined,
  ) {}

  start(): void {
    this.lastTick = performance.now();
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Lets the publish continue now, or once the process has caught up; arrival order is kept. */
  admit(proceed: () => void): void {
    if (!this.lagging && this.heldCount === 0) return proceed();
    this.held.push(proceed);
    this.onHeld();
  }

  get heldCount(): number {
    return this.held.length - this.next;
  }

  /** Releases everything held (shutdown must not wait on a gate nobody samples any more). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lagging = false;
    this.release(this.heldCount);
  }

  private tick(): void {
    const now = performance.now();
    const lag = now - this.lastTick - TICK_MS;
    this.lastTick = now;
    this.lagging = lag > this.options.maxLagMs;
    // A lagging tick still lets a slice through: holding everything until the loop is punctual
    // again capped ingest well below what the process can do under a heavy but steady load.
    this.release(this.lagging ? Math.ceil(this.options.releasePerTick / LAGGING_SHARE) : this.options.releasePerTick);
  }

  /** Oldest first; `held` is consumed from `next` and compacted once drained, so a long queue is never copied per tick. */
  private release(count: number): void {
    const end = Math.min(this.held.length, this.next + count);
    while (this.next < end) this.held[this.next++]();
    if (this.next === this.held.length) {
      this.held = [];
      this.next = 0;
    } else if (this.next >= COMPACT_AFTER && this.next * 2 >= this.held.length) {
      this.held = this.held.slice(this.next);
      this.next = 0;
    }
  }
}
