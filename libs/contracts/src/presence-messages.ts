import { type DeviceMessageSpec, accept, isJsonObject, reject } from './device-payload';
import { deviceTopicPrefix } from './topics';

/**
 * Device → server: `devices/{id}/presence`, `{"online": boolean}` (a protocol extension for
 * external brokers, which do not tell the server about CONNECT and disconnect). A device
 * publishes `{"online":true}` (retained, QoS 1) right after each CONNECT and registers the
 * same topic as its Last Will with `{"online":false}` (MQTT 3.1.1 §3.1.2.5), so the broker
 * announces a lost connection or an expired keep-alive for it.
 */
export interface PresenceReport {
  online: boolean;
}

export const presenceSpec: DeviceMessageSpec<PresenceReport> = {
  pattern: 'devices/+/presence',
  check: (value) => {
    if (!isJsonObject(value) || typeof value.online !== 'boolean') return reject('presence must be {"online": true|false}');
    const unknown = Object.keys(value).filter((key) => key !== 'online');
    if (unknown.length) return reject(`unknown field '${unknown[0]}'`);
    return accept({ online: value.online });
  },
};

export function presenceTopic(deviceId: string): string {
  return `${deviceTopicPrefix(deviceId)}presence`;
}
