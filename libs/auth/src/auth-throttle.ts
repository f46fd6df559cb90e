import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { FailureThrottle } from '@edgefleet/common';
import type { FleetConfig } from '@edgefleet/config';
import { MetricsRegistry } from '@edgefleet/observability';

export const AUTH_THROTTLE_OPTIONS = Symbol('AUTH_THROTTLE_OPTIONS');

/** Source addresses remembered at most (~150 bytes each). */
const MAX_SOURCES = 10_000;

/** Failed bearer tokens per remote address (AUTH_THROTTLE_BURST, AUTH_THROTTLE_PER_MIN), with its metrics. */
@Injectable()
export class AuthThrottle {
  private readonly throttle: FailureThrottle;
  private readonly refused: Counter<'reason'>;

  constructor(@Inject(AUTH_THROTTLE_OPTIONS) options: FleetConfig['authThrottle'], metrics: MetricsRegistry) {
    this.throttle = new FailureThrottle({ ...options, maxSources: MAX_SOURCES });
    const registers = [metrics.registry];
    this.refused = new Counter({
      name: 'edgefleet_http_auth_refused_total',
      help: 'API requests refused for their bearer token: bad-token (unknown or revoked; 401), throttled (too many bad ones from the address; 429, no lookup)',
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of ['bad-token', 'throttled'] as const) this.refused.inc({ reason }, 0);
    const throttle = this.throttle;
    new Gauge({
      name: 'edgefleet_http_auth_failure_sources',
      help: 'Remote addresses with recent bad bearer tokens remembered by the throttle (bounded)',
      registers,
      collect() {
        this.set(throttle.size);
      },
    });
  }

  /** Seconds the address must wait before its token is looked at; 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const ms = this.throttle.retryAfterMs(address);
    if (ms > 0) this.refused.inc({ reason: 'throttled' });
    return Math.ceil(ms / 1000);
  }

  failed(address: string): void {
    this.refused.inc({ reason: 'bad-token' });
    this.throttle.failed(address);
  }

  succeeded(address: string): void {
    this.throttle.succeeded(address);
  }
}
