import { hashSecret, newSecret } from '@edgefleet/common';
import type { DeviceCredentials } from './device';

/** A fresh random password for a device; MQTT username = device id (CONTRACT §3). */
export function issueDeviceCredentials(deviceId: string): { credentials: DeviceCredentials; hash: string } {
  const password = newSecret();
  return { credentials: { username: deviceId, password }, hash: hashSecret(password) };
}
