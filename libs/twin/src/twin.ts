import type { TwinDocument } from '@edgefleet/contracts';

/** A device's twin as operators and other features see it (CONTRACT §2). */
export interface Twin {
  desired: TwinDocument;
  reported: TwinDocument;
  /** Desired keys whose values differ from reported. */
  delta: TwinDocument;
  desiredVersion: number;
  reportedVersion: number;
  /** Top-level reported key → when its value last changed. */
  reportedUpdatedAt: Record<string, string>;
}

/** What the database holds for one device's twin; a device without a row has the empty twin. */
export interface TwinRecord {
  deviceId: string;
  desired: TwinDocument;
  desiredVersion: number;
  reported: TwinDocument;
  reportedMeta: Record<string, string>;
  reportedVersion: number;
}

/** The reported side of one device as the batched writer persists it. */
export interface ReportedWrite {
  deviceId: string;
  reported: TwinDocument;
  reportedMeta: Record<string, string>;
  reportedVersion: number;
  /** Reported `firmware.version` when it is a string, else null; mirrored to `devices.firmware_version`. */
  firmwareVersion: string | null;
  /** Whether `firmwareVersion` differs from what was last written to `devices.firmware_version`. */
  firmwareChanged: boolean;
}

/** Reported `firmware.version` (CONTRACT §4), the registry's firmware column. */
export function firmwareVersionOf(reported: TwinDocument): string | null {
  const firmware = reported.firmware;
  if (typeof firmware !== 'object' || firmware === null || Array.isArray(firmware)) return null;
  return typeof firmware.version === 'string' ? firmware.version : null;
}

export function emptyTwinRecord(deviceId: string): TwinRecord {
  return { deviceId, desired: {}, desiredVersion: 0, reported: {}, reportedMeta: {}, reportedVersion: 0 };
}
