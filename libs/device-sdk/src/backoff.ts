export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. */
  initialDelayMs: number;
  /** Largest ceiling, in ms. */
  maxDelayMs: number;
  /** How much the ceiling grows per attempt. */
  multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 60_000, multiplier: 2 };

/**
 * Exponential backoff with "full jitter": each delay is uniform in [0, ceiling], where the
 * ceiling doubles per attempt up to a cap. When a server restarts, thousands of devices
 * lose their session at the same instant; full jitter spreads their reconnects over the
 * whole window instead of in synchronised waves (see "Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015).
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    const { initialDelayMs, maxDelayMs, multiplier } = this.options;
    return Math.min(maxDelayMs, initialDelayMs * multiplier ** Math.min(this.attempt, 64));
  }

  next(): number {
    const delay = Math.round(this.random() * this.ceiling());
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
