import { ConfigError } from './fleet-config';
import { type Env, readPositiveInt } from './env-readers';

export interface RolloutsConfig {
  /** How often each server looks for rollout work (dispatch, timeouts, waves); device reports also nudge it at once. */
  tickIntervalMs: number;
  /** Delay before the first retry of a failed or timed-out job; doubles per retry. */
  retryBackoffMs: number;
  /** Upper bound of the retry delay. */
  retryBackoffMaxMs: number;
}

export function readRolloutsConfig(env: Env): RolloutsConfig {
  const tickIntervalMs = readPositiveInt(env, 'ROLLOUT_TICK_MS', 500);
  if (tickIntervalMs < 20 || tickIntervalMs > 60_000) throw new ConfigError('ROLLOUT_TICK_MS', 'must be from 20 to 60000');
  const retryBackoffMs = readPositiveInt(env, 'ROLLOUT_RETRY_BACKOFF_MS', 30_000);
  const retryBackoffMaxMs = readPositiveInt(env, 'ROLLOUT_RETRY_BACKOFF_MAX_MS', 600_000);
  if (retryBackoffMaxMs < retryBackoffMs) throw new ConfigError('ROLLOUT_RETRY_BACKOFF_MAX_MS', 'must be at least ROLLOUT_RETRY_BACKOFF_MS');
  return { tickIntervalMs, retryBackoffMs, retryBackoffMaxMs };
}
