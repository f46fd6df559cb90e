import type { components } from '@edgefleet/api-client';
import { tagsToList } from '@edgefleet/contracts';
import type { Column } from '../output/output';

export type Device = components['schemas']['DeviceDto'];

export const DEVICE_COLUMNS: Column<Device>[] = [
  { header: 'ID', value: (d) => d.id },
  { header: 'NAME', value: (d) => d.name },
  { header: 'TYPE', value: (d) => d.type },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'FIRMWARE', value: (d) => d.firmwareVersion },
  { header: 'TAGS', value: (d) => tagsToList(d.tags ?? {}) },
  { header: 'LAST SEEN', value: (d) => d.lastSeenAt, wide: true },
  { header: 'CREATED', value: (d) => d.createdAt, wide: true },
];

export interface RegisteredDevice extends Device {
  credentials: { username: string; password: string };
}

export const REGISTERED_COLUMNS: Column<RegisteredDevice>[] = [
  ...(DEVICE_COLUMNS as Column<RegisteredDevice>[]),
  { header: 'USERNAME', value: (d) => d.credentials?.username },
  { header: 'PASSWORD', value: (d) => d.credentials?.password },
];
