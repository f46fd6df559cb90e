import { isDeviceTopic } from '@edgefleet/contracts';
import type { DropReason } from './broker-metrics';
import type { PublishRateLimiter } from './publish-rate-limiter';

export interface PublishAttempt<Session extends object> {
  session: Session;
  deviceId: string;
  topic: string;
}

export interface PublishRefusal {
  reason: DropReason;
  /** Whether to tell the device on its errors topic. */
  notify: boolean;
  message: string;
}

export type PublishCheck<Session extends object> = (attempt: PublishAttempt<Session>) => PublishRefusal | undefined;

export function runPublishChecks<Session extends object>(checks: readonly PublishCheck<Session>[], attempt: PublishAttempt<Session>): PublishRefusal | undefined {
  for (const check of checks) {
    const refusal = check(attempt);
    if (refusal) return refusal;
  }
  return undefined;
}

/** A device publishes only under `devices/{its id}/` (CONTRACT §3); this also keeps it out of `$SYS/`. */
export function topicIsOwn(attempt: PublishAttempt<object>): PublishRefusal | undefined {
  if (isDeviceTopic(attempt.deviceId, attempt.topic)) return undefined;
  return { reason: 'acl', notify: true, message: `not allowed to publish outside devices/${attempt.deviceId}/` };
}

export function withinRateLimit<Session extends object>(limiter: PublishRateLimiter<Session>): PublishCheck<Session> {
  return function withinRateLimit(attempt) {
    const decision = limiter.check(attempt.session);
    if (decision === 'allow') return undefined;
    return { reason: 'rate-limit', notify: decision === 'drop-and-notify', message: 'publish rate limit exceeded; messages are being dropped' };
  };
}
