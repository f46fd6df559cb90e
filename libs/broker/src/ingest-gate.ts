/** How often the event loop's punctuality is sampled. */
const TICK_MS = 10;

export interface IngestGateOptions {
  /** A tick later than this means the process is overloaded: publishes are held. */
  maxLagMs: number;
  /** Held publishes let through per punctual tick, so each burst of work stays short. */
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
    if (!this.lagging && this.held.length === 0) return proceed();
    this.held.push(proceed);
    this.onHeld();
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Releases everything held (shutdown must not wait on a gate nobody samples any more). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lagging = false;
    this.release(this.held.length);
  }

  private tick(): void {
    const now = performance.now();
    const lag = now - this.lastTick - TICK_MS;
    this.lastTick = now;
    this.lagging = lag > this.options.maxLagMs;
    if (!this.lagging) this.release(this.options.releasePerTick);
  }

  private release(count: number): void {
    if (this.held.length === 0) return;
    const released = this.held.length <= count ? this.held : this.held.slice(0, count);
    this.held = this.held.length <= count ? [] : this.held.slice(count);
    for (const proceed of released) proceed();
  }
}
