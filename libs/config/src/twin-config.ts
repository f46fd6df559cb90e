import { ConfigError } from './fleet-config';
import { type Env, readPositiveInt } from './env-readers';

export interface TwinConfig {
  /** Largest desired or reported document, in bytes of JSON (Azure IoT Hub's twin limit is 32 KiB). */
  maxBytes: number;
  /** How long reported changes are coalesced in memory before one batched write. */
  flushIntervalMs: number;
  /**
   * Bytes of reports merged in memory and not yet written (the database slow or down) past which
   * new changing reports are refused: QoS 1 not acknowledged, QoS 0 answered on the errors topic.
   */
  maxPendingBytes: number;
}

export function readTwinConfig(env: Env): TwinConfig {
  const maxBytes = readPositiveInt(env, 'TWIN_MAX_BYTES', 32 * 1024);
  if (maxBytes < 2) throw new ConfigError('TWIN_MAX_BYTES', 'must be at least 2 (the empty document `{}`)');
  const flushIntervalMs = readPositiveInt(env, 'TWIN_FLUSH_INTERVAL_MS', 50);
  if (flushIntervalMs > 10_000) throw new ConfigError('TWIN_FLUSH_INTERVAL_MS', 'must be at most 10000: a crash loses up to this window of reports');
  const maxPendingBytes = readPositiveInt(env, 'TWIN_MAX_PENDING_MB', 64) * 1024 * 1024;
  return { maxBytes, flushIntervalMs, maxPendingBytes };
}
