import type { Device } from './device';

/**
 * What `devices.registry_json` holds: the device's own fields as the API shows them, without
 * presence and firmware, which change without an operator (DEVICE_JSON adds them). Written
 * with every change to these fields; a list test checks that list items equal single reads.
 */
export function registryJson(device: Pick<Device, 'id' | 'name' | 'type' | 'tags' | 'createdAt' | 'updatedAt'>): string {
  return JSON.stringify({
    id: device.id,
    name: device.name,
    type: device.type,
    tags: device.tags,
    createdAt: device.createdAt.toISOString(),
    updatedAt: device.updatedAt.toISOString(),
  });
}
