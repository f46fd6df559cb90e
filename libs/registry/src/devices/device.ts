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
  /** Sessions it began since the last write (CONNECTs), oldest first; a sign of life is none. */
  connects?: Date[];
}

/** Session start times kept per device (`recent_connects`): enough for the reconnect-loop signal's largest count. */
export const RECENT_CONNECTS_KEPT = 32;

/** How many devices share one value (a type, or a firmware version: null when none reported yet). */
export interface FleetCount<K = string> {
  key: K;
  count: number;
}

export interface FleetSummary {
  total: number;
  online: number;
  offline: number;
  /** Offline and not seen for the stale period (24 h), or never seen. */
  offlineStale: number;
  byType: FleetCount[];
  byFirmware: FleetCount<string | null>[];
}

/** Ways a device may sign in: a password at CONNECT, or a client certificate over TLS. */
export const AUTH_METHODS = ['password', 'certificate'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** What CONNECT checks a device against. */
export interface DeviceCredential {
  hash: string;
  authMethods: AuthMethod[];
}

/** What a node checks a session it holds against: the credential, and who holds the session now. */
export interface DeviceSessionRecord extends DeviceCredential {
  sessionNode: string | null;
  sessionAt: Date | null;
}
