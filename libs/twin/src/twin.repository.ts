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
   * The reported side of many devices (the ingest hot path): twin rows move forward only
   * (`reported_version` must grow), and a changed reported `firmware.version` is mirrored
   * into `devices.firmware_version` in the same statement, so both commit together. Rows
   * that exist are updated in one statement, which is all a steady stream of reports needs;
   * rows still missing are inserted in a second, skipping devices decommissioned meanwhile.
   * Returns the ids actually written.
   */
  async writeReported(writes: readonly ReportedWrite[]): Promise<Set<string>> {
    const written = new Set(writes.map((w) => w.deviceId));
    if (writes.length === 0) return written;
    const records = reportedRecords(writes);
    const notUpdated = await this.writeStatement(
      writes,
      records,
      `UPDATE device_twins t
        SET reported = r.reported, reported_meta = r.reported_meta, reported_version = r.reported_version, updated_at = clock_timestamp()
        FROM r WHERE t.device_id = r.device_id AND t.reported_version < r.reported_version`,
      'SELECT r.device_id FROM r WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.device_id = r.device_id)',
    );
    if (notUpdated.length === 0) return written;
    for (const id of notUpdated) written.delete(id);
    const missing = new Set(notUpdated);
    // A row created meanwhile (a desired change, another server) is updated if it is older.
    const inserted = await this.writeStatement(
      writes.filter((w) => missing.has(w.deviceId)),
      records,
      `INSERT INTO device_twins AS t (device_id, reported, reported_meta, reported_version, updated_at)
        SELECT r.device_id, r.reported, r.reported_meta, r.reported_version, clock_timestamp()
        FROM r JOIN devices d ON d.id = r.device_id
        ON CONFLICT (device_id) DO UPDATE
          SET reported = EXCLUDED.reported, reported_meta = EXCLUDED.reported_meta,
              reported_version = EXCLUDED.reported_version, updated_at = EXCLUDED.updated_at
          WHERE t.reported_version < EXCLUDED.reported_version`,
      'SELECT device_id FROM t',
      notUpdated,
    );
    for (const id of inserted) written.add(id);
    return written;
  }

  /**
   * One statement over the writes (`records`, all of them as JSON, narrowed to the devices in
   * `only` when given) as `r`: `write` (an UPDATE or INSERT on device_twins that becomes the
   * CTE `t`, returning the ids it wrote), the firmware mirror when any of `writes` changes
   * firmware, then `select`, which returns device ids.
   */
  private async writeStatement(
    writes: readonly ReportedWrite[],
    records: string,
    write: string,
    select: string,
    only?: readonly string[],
  ): Promise<string[]> {
    const firmware = firmwareChanges(writes);
    const params: unknown[] = firmware ? [records, firmware] : [records];
    if (only) params.push(only);
    const { rows } = await this.prisma.pool.query<{ device_id: string }>(
      `WITH ${reportedRowsCte(only ? params.length : null)}, t AS (${write} RETURNING t.device_id)${firmware ? FIRMWARE_MIRROR : ''} ${select}`,
      params,
    );
    return rows.map((row) => row.device_id);
  }
}

/**
 * The CTE `r`: the writes as rows, from one JSON parameter ($1), optionally only the device
 * ids in parameter `$onlyParam`. These statements go to pg directly (PrismaService.pool):
 * they are the ingest hot path, and their one parameter is large.
 */
function reportedRowsCte(onlyParam: number | null): string {
  const only = onlyParam ? ` WHERE r.device_id = ANY($${onlyParam}::text[])` : '';
  return `r AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(device_id text, reported jsonb, reported_meta jsonb, reported_version int)${only}
  )`;
}

/**
 * The writes as the JSON parameter of `r`. Built before the writer first yields, and used
 * for both of its statements: the ingest goes on changing its cached documents in place.
 */
function reportedRecords(writes: readonly ReportedWrite[]): string {
  return JSON.stringify(
    writes.map((w) => ({ device_id: w.deviceId, reported: w.reported, reported_meta: w.reportedMeta, reported_version: w.reportedVersion })),
  );
}

/** The writes that change the registry's firmware column, as the JSON parameter $2 of FIRMWARE_MIRROR; null when none does. */
function firmwareChanges(writes: readonly ReportedWrite[]): string | null {
  const changes = writes.filter((w) => w.firmwareChanged).map((w) => ({ device_id: w.deviceId, firmware: w.firmwareVersion }));
  return changes.length ? JSON.stringify(changes) : null;
}

/**
 * CTEs that mirror changed firmware versions ($2) of the rows written (`t`) into `devices`;
 * left out when no write changes it, so a steady stream of reports never touches `devices`.
 */
const FIRMWARE_MIRROR = `, fw AS (
        SELECT * FROM jsonb_to_recordset($2::jsonb) AS fw(device_id text, firmware text)
      ), locked AS (
        -- In id order, as presence locks them: two batches locking devices rows in different orders deadlock.
        SELECT d.id, fw.firmware FROM devices d JOIN fw ON fw.device_id = d.id
        WHERE d.firmware_version IS DISTINCT FROM fw.firmware
        ORDER BY d.id FOR NO KEY UPDATE OF d
      ), f AS (
        UPDATE devices d SET firmware_version = locked.firmware
        FROM locked JOIN t ON t.device_id = locked.id
        WHERE d.id = locked.id
      )`;

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
