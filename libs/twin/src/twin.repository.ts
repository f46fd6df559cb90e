import { Injectable } from '@nestjs/common';
import type { TwinDocument } from '@edgefleet/contracts';
import { type DbTx, PrismaService } from '@edgefleet/database';
import { type ReportedWrite, type TwinRecord, emptyTwinRecord } from './twin';

interface TwinRow {
  device_id: string;
  desired: TwinDocument | null;
  desired_version: number | null;
  reported: TwinDocument | null;
  reported_meta: Record<string, string> | null;
  reported_version: number | null;
}

/** A twin row and the registry's firmware column, loaded together for the reported-state cache. */
export interface LoadedTwin {
  record: TwinRecord;
  registryFirmware: string | null;
}

@Injectable()
export class TwinRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Twins of existing devices in one query; a device without a twin row gets the empty twin, an unknown id is absent. */
  async loadMany(deviceIds: readonly string[]): Promise<Map<string, LoadedTwin>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<Array<TwinRow & { firmware_version: string | null }>>`
      SELECT d.id AS device_id, d.firmware_version, t.desired, t.desired_version, t.reported, t.reported_meta, t.reported_version
      FROM devices d LEFT JOIN device_twins t ON t.device_id = d.id
      WHERE d.id = ANY(${[...deviceIds]}::text[])`;
    return new Map(rows.map((row) => [row.device_id, { record: toRecord(row), registryFirmware: row.firmware_version }]));
  }

  /** Of these devices, the twins that have desired state (desiredVersion > 0), in one query. */
  async loadWithDesired(deviceIds: readonly string[]): Promise<TwinRecord[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.prisma.$queryRaw<TwinRow[]>`
      SELECT device_id, desired, desired_version, reported, reported_meta, reported_version
      FROM device_twins WHERE device_id = ANY(${[...deviceIds]}::text[]) AND desired_version > 0`;
    return rows.map(toRecord);
  }

  /** The twin of an existing device (empty when it has none yet), or null for an unknown device. */
  async find(deviceId: string): Promise<TwinRecord | null> {
    return (await this.loadMany([deviceId])).get(deviceId)?.record ?? null;
  }

  /**
   * Locks the device's twin row for a desired-state change, creating it if missing; null
   * when the device does not exist. Reported writes wait on this lock, never the reverse.
   */
  async lockForDesired(deviceId: string, tx: DbTx): Promise<TwinRecord | null> {
    await tx.$executeRaw`
      INSERT INTO device_twins (device_id) SELECT id FROM devices WHERE id = ${deviceId}
      ON CONFLICT (device_id) DO NOTHING`;
    const [row] = await tx.$queryRaw<TwinRow[]>`
      SELECT device_id, desired, desired_version, reported, reported_meta, reported_version
      FROM device_twins WHERE device_id = ${deviceId} FOR UPDATE`;
    return row ? toRecord(row) : null;
  }

  async saveDesired(deviceId: string, desired: TwinDocument, desiredVersion: number, tx: DbTx): Promise<void> {
    await tx.$executeRaw`
      UPDATE device_twins SET desired = ${JSON.stringify(desired)}::jsonb, desired_version = ${desiredVersion}, updated_at = now()
      WHERE device_id = ${deviceId}`;
  }

  /**
   * The reported side of many devices in ONE statement (the ingest hot path): upserts the
   * twin rows and mirrors reported `firmware.version` into `devices.firmware_version`, so
   * both commit together. A row only moves forward (`reported_version` must grow), and
   * devices decommissioned meanwhile are skipped. Returns the ids actually written.
   */
  async writeReported(writes: readonly ReportedWrite[]): Promise<Set<string>> {
    if (writes.length === 0) return new Set();
    const rows = JSON.stringify(
      writes.map((w) => ({ device_id: w.deviceId, reported: w.reported, reported_meta: w.reportedMeta, reported_version: w.reportedVersion, firmware: w.firmwareVersion })),
    );
    const written = await this.prisma.$queryRaw<Array<{ device_id: string }>>`
      WITH r AS (
        SELECT * FROM jsonb_to_recordset(${rows}::jsonb)
          AS r(device_id text, reported jsonb, reported_meta jsonb, reported_version int, firmware text)
      ), t AS (
        INSERT INTO device_twins AS t (device_id, reported, reported_meta, reported_version, updated_at)
        SELECT r.device_id, r.reported, r.reported_meta, r.reported_version, clock_timestamp()
        FROM r JOIN devices d ON d.id = r.device_id
        ON CONFLICT (device_id) DO UPDATE
          SET reported = EXCLUDED.reported, reported_meta = EXCLUDED.reported_meta,
              reported_version = EXCLUDED.reported_version, updated_at = EXCLUDED.updated_at
          WHERE t.reported_version < EXCLUDED.reported_version
        RETURNING t.device_id
      ), locked AS (
        -- In id order, as presence locks them: two batches locking devices rows in different orders deadlock.
        SELECT d.id FROM devices d JOIN r ON r.device_id = d.id
        WHERE d.firmware_version IS DISTINCT FROM r.firmware
        ORDER BY d.id FOR NO KEY UPDATE OF d
      ), f AS (
        UPDATE devices d SET firmware_version = r.firmware
        FROM r JOIN t ON t.device_id = r.device_id JOIN locked ON locked.id = r.device_id
        WHERE d.id = r.device_id AND d.firmware_version IS DISTINCT FROM r.firmware
      )
      SELECT device_id FROM t`;
    return new Set(written.map((row) => row.device_id));
  }
}

function toRecord(row: TwinRow): TwinRecord {
  return {
    ...emptyTwinRecord(row.device_id),
    ...(row.desired_version === null
      ? {}
      : {
          desired: row.desired ?? {},
          desiredVersion: row.desired_version,
          reported: row.reported ?? {},
          reportedMeta: row.reported_meta ?? {},
          reportedVersion: row.reported_version ?? 0,
        }),
  };
}
