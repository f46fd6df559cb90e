import { DeviceSession, type SessionOptions } from '../../src/device-session';

/** A session for broker-level tests: fast backoff, subscribed under the device's prefix; any option can be overridden. */
export function testSession(url: string, deviceId: string, overrides: Partial<SessionOptions> = {}): DeviceSession {
  return new DeviceSession({
    url,
    deviceId,
    password: 'secret',
    subscriptions: [`devices/${deviceId}/#`],
    keepaliveSeconds: 60,
    connectTimeoutMs: 30_000,
    backoff: { initialDelayMs: 50, maxDelayMs: 100, multiplier: 2 },
    stableAfterMs: 10_000,
    retryRefused: false,
    ...overrides,
  });
}
