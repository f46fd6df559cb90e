/**
 * Device ids appear in MQTT topics (`devices/{id}/...`), so they may not contain the
 * topic level separator or wildcards (MQTT 3.1.1 §4.7.1) and stay short.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_PATTERN.test(id);
}

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
