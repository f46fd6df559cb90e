import { TokenBucket } from '@edgefleet/common';

/** A device is told it is being throttled at most this often, so the notice cannot flood it. */
const NOTICE_INTERVAL_MS = 1000;

interface DeviceAllowance {
  bucket: TokenBucket;
  noticeAt: number;
}

export type RateDecision = 'allow' | 'drop' | 'drop-and-notify';

/** Per-session publish limit. Keyed by the session object, so a reconnect starts afresh and nothing leaks. */
export class PublishRateLimiter<Session extends object> {
  private readonly allowances = new WeakMap<Session, DeviceAllowance>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  check(session: Session, now = Date.now()): RateDecision {
    let allowance = this.allowances.get(session);
    if (!allowance) {
      allowance = { bucket: new TokenBucket(this.perSecond, this.burst, now), noticeAt: -Infinity };
      this.allowances.set(session, allowance);
    }
    if (allowance.bucket.take(now)) return 'allow';
    if (now - allowance.noticeAt < NOTICE_INTERVAL_MS) return 'drop';
    allowance.noticeAt = now;
    return 'drop-and-notify';
  }
}
