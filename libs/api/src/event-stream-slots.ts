import { Counter, Gauge } from 'prom-client';
import { RateLimitedError } from '@edgefleet/common';
import type { MetricsRegistry } from '@edgefleet/observability';

export interface EventStreamLimits {
  /** Server-sent event streams open at once, all tokens together (SSE_MAX_STREAMS). */
  max: number;
  /** Per API token (SSE_MAX_STREAMS_PER_TOKEN). */
  perToken: number;
}

/** What a refused stream is told to wait: streams end when clients go or rollouts finish. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Every server-sent event stream holds a socket and its share of the work that feeds it, for as
 * long as the client likes; 2,000 of them once slowed the whole API tenfold (issue #15). A stream
 * takes a slot before it opens, and gives it back when it ends.
 */
export class EventStreamSlots {
  private open = 0;
  private readonly perToken = new Map<string, number>();
  private readonly refused: Counter<'reason'>;

  constructor(
    private readonly limits: EventStreamLimits,
    metrics: MetricsRegistry,
  ) {
    const registers = [metrics.registry];
    const count = () => this.open;
    new Gauge({
      name: 'edgefleet_sse_streams',
      help: 'Server-sent event streams open',
      registers,
      collect() {
        this.set(count());
      },
    });
    this.refused = new Counter({
      name: 'edgefleet_sse_streams_refused_total',
      help: 'Server-sent event streams refused with 429: total (SSE_MAX_STREAMS reached) or per-token (SSE_MAX_STREAMS_PER_TOKEN reached)',
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of ['total', 'per-token'] as const) this.refused.inc({ reason }, 0);
  }

  /** A slot for one stream of this token, or RateLimitedError (429). Call the returned function once, when the stream ends. */
  take(tokenId: string): () => void {
    const mine = this.perToken.get(tokenId) ?? 0;
    if (mine >= this.limits.perToken) {
      this.refused.inc({ reason: 'per-token' });
      throw new RateLimitedError(`this token already has ${mine} event streams open (SSE_MAX_STREAMS_PER_TOKEN)`, RETRY_AFTER_SECONDS);
    }
    if (this.open >= this.limits.max) {
      this.refused.inc({ reason: 'total' });
      throw new RateLimitedError(`the server has ${this.open} event streams open, its limit (SSE_MAX_STREAMS)`, RETRY_AFTER_SECONDS);
    }
    this.open++;
    this.perToken.set(tokenId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.perToken.get(tokenId) ?? 1) - 1;
      if (left > 0) this.perToken.set(tokenId, left);
      else this.perToken.delete(tokenId);
    };
  }
}
