import type { DeviceStatus, Tags } from '@edgefleet/contracts';

export interface Device {
  id: string;
  name: string | null;
  type: string;
  tags: Tags;
  status: DeviceStatus;
  lastSeenAt: Date | null;
  firmwareVersion: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDevice {
  id: string;
  name: string | null;
  type: string;
  tags: Tags;
  credentialHash: string;
}

export interface DeviceCredentials {
  username: string;
  password: string;
}

export interface DeviceChanges {
  name?: string | null;
  tags?: Tags;
}

/** A device went online or offline at `at` (also its last-seen time). */
export interface PresenceChange {
  deviceId: string;
  online: boolean;
  at: Date;
}
