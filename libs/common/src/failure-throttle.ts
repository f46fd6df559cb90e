import { TokenBucket } from './token-bucket';

export interface FailureThrottleOptions {
  /** Failures a source may have in a row before it is throttled. */
  burst: number;
  /** Failures a minute it may have after that. */
  perMinute: number;
  /** Sources remembered at most; past it the least recently failing is forgotten. */
  maxSources: number;
}

/**
 * Failed authentication per source address, as a token bucket of failures: while a source's
 * bucket is empty, its attempts are refused before any lookup. Memory is bounded by
 * `maxSources`: a flood from many addresses makes the throttle forget (and so let through) the
 * oldest of them, never grow. Time is passed in, so it is a pure function of the calls made.
 */
export class FailureThrottle {
  /** In order of last failure, oldest first. */
  private readonly sources = new Map<string, TokenBucket>();

  constructor(private readonly options: FailureThrottleOptions) {}

  /** 0 when the source may try; otherwise how long until it may. */
  retryAfterMs(source: string, now = Date.now()): number {
    return this.sources.get(source)?.waitMs(now) ?? 0;
  }

  failed(source: string, now = Date.now()): void {
    let bucket = this.sources.get(source);
    if (bucket) this.sources.delete(source);
    else bucket = new TokenBucket(this.options.perMinute / 60, this.options.burst, now);
    bucket.take(now);
    this.sources.set(source, bucket);
    if (this.sources.size > this.options.maxSources) this.sources.delete(this.sources.keys().next().value!);
  }

  /** A success proves nothing about the source's next attempt, but a full bucket need not be kept. */
  succeeded(source: string, now = Date.now()): void {
    if (this.sources.get(source)?.isFull(now)) this.sources.delete(source);
  }

  get size(): number {
    return this.sources.size;
  }
}
