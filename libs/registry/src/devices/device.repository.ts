import { Injectable } from '@nestjs/common';
import { type DbTx, Prisma, PrismaService, preparedStatement } from '@edgefleet/database';
import { tagsFromList, tagsToList } from '@edgefleet/contracts';
import { type AuthMethod, type Device, type DeviceChanges, type DeviceCredential, type DeviceSessionRecord, type FleetSummary, type NewDevice, type PresenceChange, RECENT_CONNECTS_KEPT } from './device';
import type { DeviceQuery } from './device-filter';
import { DEVICE_JSON, deviceQuerySql } from './device-query.sql';
import { registryJson } from './registry-json';

const columns = {
  id: true,
  name: true,
  type: true,
  tags: true,
  online: true,
  lastSeenAt: true,
  firmwareVersion: true,
  createdAt: true,
  updatedAt: true,
} as const;

type DeviceRow = Prisma.DeviceGetPayload<{ select: typeof columns }>;

@Injectable()
export class DeviceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Refreshes the planner's statistics of the devices table (after bulk imports). */
  async analyze(): Promise<void> {
    await this.prisma.$executeRawUnsafe('ANALYZE devices');
  }

  /**
   * Bulk insert on the hot path of batch registration: one statement with the rows as a
   * single JSON parameter. Prisma's createMany builds 10,000 × N parameters through its
   * query compiler, which cost ~15x more CPU than the insert itself. Nothing comes back:
   * every column is what was given, its default, or the batch's time, set here as Prisma's
   * `@updatedAt` does; parsing 10,000 returned rows cost more than the rest of the call.
   */
  async createMany(newDevices: NewDevice[], tx: DbTx): Promise<Device[]> {
    const at = new Date();
    const tagLists = newDevices.map((d) => tagsToList(d.tags));
    const devices: Device[] = newDevices.map((d, i) => ({
      id: d.id,
      name: d.name,
      type: d.type,
      tags: tagsFromList(tagLists[i]),
      status: 'offline',
      lastSeenAt: null,
      firmwareVersion: null,
      createdAt: at,
      updatedAt: at,
    }));
    const rows = JSON.stringify(
      newDevices.map((d, i) => ({ id: d.id, name: d.name, type: d.type, tags: tagLists[i], hash: d.credentialHash, json: registryJson(devices[i]) })),
    );
    await tx.$executeRaw`
      INSERT INTO devices (id, name, type, tags, credential_hash, registry_json, created_at, updated_at)
      SELECT d.id, d.name, d.type, ARRAY(SELECT jsonb_array_elements_text(d.tags)), d.hash, d.json, ${at}::timestamptz, ${at}::timestamptz
      FROM jsonb_to_recordset(${rows}::jsonb) AS d(id text, name text, type text, tags jsonb, hash text, json text)`;
    return devices;
  }

  async findById(id: string, tx: DbTx = this.prisma): Promise<Device | null> {
    const row = await tx.device.findUnique({ where: { id }, select: columns });
    return row ? toDevice(row) : null;
  }

  /** How many of the given devices are not connected now. */
  async countOffline(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM devices WHERE id = ANY(${ids}::text[]) AND NOT online`;
    return row.n;
  }

  /** One array parameter: Prisma's `in` sends one parameter per id (10,000 for a full batch). */
  async existingIds(ids: string[]): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`SELECT id FROM devices WHERE id = ANY(${ids}::text[])`;
    return rows.map((row) => row.id);
  }

  /**
   * One page ordered by id, each device already serialised as the API's JSON: its stored
   * registry JSON plus presence and firmware (DEVICE_JSON). Sent through pg directly
   * (PrismaService.pool) as a prepared statement: Prisma's raw-query path was a third of the
   * server's CPU a page, parsing and planning a third of Postgres' (bench:registry).
   */
  async listJson(query: DeviceQuery, limit: number, afterId?: string): Promise<{ itemsJson: string; lastId: string | null; hasMore: boolean }> {
    const after = afterId === undefined ? Prisma.empty : Prisma.sql`AND d.id > ${afterId}`;
    const sql = Prisma.sql`
      SELECT d.id, ${DEVICE_JSON} AS json
      FROM devices d WHERE ${deviceQuerySql(query)} ${after}
      ORDER BY d.id LIMIT ${limit + 1}`;
    const { rows } = await this.prisma.pool.query<{ id: string; json: string }>(preparedStatement(sql.text, sql.values));
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return { itemsJson: `[${page.map((row) => row.json).join(',')}]`, lastId: page.at(-1)?.id ?? null, hasMore };
  }

  /** How many devices match, the true total behind a filtered list. */
  async count(query: DeviceQuery): Promise<number> {
    const sql = Prisma.sql`SELECT count(*)::int AS n FROM devices d WHERE ${deviceQuerySql(query)}`;
    const { rows } = await this.prisma.pool.query<{ n: number }>(preparedStatement(sql.text, sql.values));
    return rows[0].n;
  }

  async presenceCounts(): Promise<{ online: number; total: number }> {
    const [row] = await this.prisma.$queryRaw<{ online: number; total: number }[]>`
      SELECT count(*) FILTER (WHERE online)::int AS online, count(*)::int AS total FROM devices`;
    return row;
  }

  /** Devices per status, type and firmware version, and those offline since before `staleBefore`: one scan. */
  async summary(staleBefore: Date): Promise<FleetSummary> {
    const rows = await this.prisma.$queryRaw<{ kind: string; key: string | null; n: number }[]>`
      SELECT CASE GROUPING(type, firmware_version, online) WHEN 3 THEN 'type' WHEN 5 THEN 'firmware' ELSE 'status' END AS kind,
             coalesce(type, firmware_version, online::text) AS key, count(*)::int AS n
      FROM devices GROUP BY GROUPING SETS ((type), (firmware_version), (online))`;
    const [stale] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM devices WHERE NOT online AND (last_seen_at IS NULL OR last_seen_at < ${staleBefore})`;
    const summary: FleetSummary = { total: 0, online: 0, offline: 0, offlineStale: stale.n, byType: [], byFirmware: [] };
    for (const row of rows) {
      if (row.kind === 'status') {
        if (row.key === 'true') summary.online = row.n;
        else summary.offline = row.n;
      } else if (row.kind === 'type') summary.byType.push({ key: row.key!, count: row.n });
      else summary.byFirmware.push({ key: row.key, count: row.n });
    }
    summary.total = summary.online + summary.offline;
    const byCount = (a: { count: number }, b: { count: number }) => b.count - a.count;
    summary.byType.sort(byCount);
    summary.byFirmware.sort(byCount);
    return summary;
  }

  async update(id: string, changes: DeviceChanges, tx: DbTx): Promise<Device> {
    const row = await tx.device.update({
      where: { id },
      data: { name: changes.name, tags: changes.tags ? tagsToList(changes.tags) : undefined },
      select: columns,
    });
    const device = toDevice(row);
    await tx.$executeRaw`UPDATE devices SET registry_json = ${registryJson(device)} WHERE id = ${id}`;
    return device;
  }

  /** Not an edit of the device's fields: `updated_at` stays (Prisma's update would set it). */
  async setCredentialHash(id: string, credentialHash: string, tx: DbTx): Promise<void> {
    await tx.$executeRaw`UPDATE devices SET credential_hash = ${credentialHash} WHERE id = ${id}`;
  }

  /** Credential hashes and sign-in methods of the given devices, in one query; unknown ids are absent from the map. */
  /**
   * The CONNECT lookups (batched by the broker's credential cache): one prepared statement whatever
   * the batch's size, on the pool. Through Prisma each batch size was a query shape of its own
   * to compile (`id IN ($1 … $n)`): 4 % of the server's CPU in a certificate connect storm.
   */
  async findCredentials(ids: readonly string[]): Promise<Map<string, DeviceCredential>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.prisma.pool.query<{ id: string; hash: string; methods: AuthMethod[] }>(
      preparedStatement('SELECT id, credential_hash AS hash, auth_methods::text[] AS methods FROM devices WHERE id = ANY($1::text[])', [ids]),
    );
    return new Map(rows.map((row) => [row.id, { hash: row.hash, authMethods: row.methods }]));
  }

  /** Devices missing from the map are not registered (decommissioned). */
  async findSessionRecords(ids: readonly string[]): Promise<Map<string, DeviceSessionRecord>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.prisma.pool.query<{ id: string; hash: string; methods: AuthMethod[]; node: string | null; at: Date | null }>(
      preparedStatement(
        'SELECT id, credential_hash AS hash, auth_methods::text[] AS methods, session_node AS node, session_at AS at FROM devices WHERE id = ANY($1::text[])',
        [ids],
      ),
    );
    return new Map(rows.map((row) => [row.id, { hash: row.hash, authMethods: row.methods, sessionNode: row.node, sessionAt: row.at }]));
  }

  async findAuthMethods(id: string, tx: DbTx = this.prisma): Promise<AuthMethod[] | null> {
    const row = await tx.device.findUnique({ where: { id }, select: { authMethods: true } });
    return row ? row.authMethods : null;
  }

  /** Not an edit of the device's fields: `updated_at` stays. */
  async setAuthMethods(id: string, methods: AuthMethod[], tx: DbTx): Promise<void> {
    await tx.device.updateMany({ where: { id }, data: { authMethods: { set: methods } } });
  }

  /**
   * Presence changes for many devices in one statement. Ids must be distinct (the caller
   * keeps the last state per device). `updated_at` is left alone: presence is not an edit.
   * An older change never overwrites a newer one: with an external broker several servers
   * record presence of the same device, and their batches land in any order.
   * Rows are locked in id order, as every multi-row writer of `devices` does (the twin's
   * firmware column too): in any other order two such batches deadlock.
   */
  async applyPresence(changes: readonly PresenceChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.prisma.$executeRaw`
      WITH u AS (${presenceRows(changes)}),
      locked AS (
        SELECT d.id FROM devices d JOIN u ON u.id = d.id
        WHERE d.last_seen_at IS NULL OR d.last_seen_at <= u.seen
        ORDER BY d.id FOR NO KEY UPDATE OF d)
      UPDATE devices AS d SET online = u.online, last_seen_at = u.seen, recent_connects = ${KEEP_RECENT_CONNECTS}
      FROM u JOIN locked ON locked.id = u.id
      WHERE d.id = u.id AND (d.last_seen_at IS NULL OR d.last_seen_at <= u.seen)`;
  }

  /**
   * Presence from the embedded broker of cluster node `node`, which also records who holds each
   * session (the session directory). Rows locked in id order, as in applyPresence. An online
   * change takes the session unless a newer session started since; an offline change counts only
   * from the node holding the session, so a late disconnect seen by node A cannot mark offline a
   * device that has reconnected at node B meanwhile, in whichever order the two batches land.
   */
  async applySessions(changes: readonly PresenceChange[], node: string): Promise<void> {
    if (changes.length === 0) return;
    await this.prisma.$executeRaw`
      WITH u AS (${presenceRows(changes)}),
      locked AS (
        SELECT d.id FROM devices d JOIN u ON u.id = d.id
        WHERE d.session_at IS NULL OR d.session_at <= u.seen
        ORDER BY d.id FOR NO KEY UPDATE OF d)
      UPDATE devices AS d SET
        online = u.online,
        last_seen_at = GREATEST(d.last_seen_at, u.seen),
        recent_connects = ${KEEP_RECENT_CONNECTS},
        session_node = CASE WHEN u.online THEN ${node} ELSE d.session_node END,
        session_at = CASE WHEN u.online THEN u.seen ELSE d.session_at END
      FROM u JOIN locked ON locked.id = u.id
      WHERE d.id = u.id AND (d.session_at IS NULL OR d.session_at <= u.seen)
        AND (u.online OR d.session_node IS NULL OR d.session_node = ${node})`;
  }

  /** Devices online at a node that is not in `liveNodes` (it died): offline now. */
  async markOfflineUnlessHeldBy(liveNodes: readonly string[]): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE devices SET online = false
      WHERE online AND session_node IS NOT NULL AND NOT (session_node = ANY(${[...liveNodes]}::text[]))`;
  }

  /** A cluster node starting again under its id: whatever it held before is gone. */
  async markOfflineHeldBy(node: string): Promise<number> {
    return this.prisma.$executeRaw`UPDATE devices SET online = false WHERE online AND session_node = ${node}`;
  }

  /** At start nothing is connected yet: whatever a crash left marked online is stale. */
  async markAllOffline(): Promise<number> {
    return this.prisma.$executeRaw`UPDATE devices SET online = false WHERE online`;
  }

  async delete(id: string, tx: DbTx): Promise<void> {
    await tx.device.delete({ where: { id } });
  }
}

/** A batch of presence changes as rows `u(id, online, seen, connects)`; session starts as a JSON array per row (unnest cannot take ragged arrays). */
function presenceRows(changes: readonly PresenceChange[]): Prisma.Sql {
  const ids = changes.map((change) => change.deviceId);
  const online = changes.map((change) => change.online);
  const seen = changes.map((change) => change.at);
  const connects = changes.map((change) => JSON.stringify((change.connects ?? []).map((at) => at.toISOString())));
  return Prisma.sql`SELECT * FROM unnest(${ids}::text[], ${online}::bool[], ${seen}::timestamptz[], ${connects}::text[]) AS u(id, online, seen, connects)`;
}

/** `recent_connects` with the row's new session starts merged in, the newest RECENT_CONNECTS_KEPT kept (the reconnect-loop signal reads them). */
const KEEP_RECENT_CONNECTS = Prisma.sql`CASE WHEN u.connects = '[]' THEN d.recent_connects ELSE (
  SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM (
    SELECT c FROM unnest(coalesce(d.recent_connects, '{}') || ARRAY(SELECT jsonb_array_elements_text(u.connects::jsonb)::timestamptz)) AS c
    ORDER BY c DESC LIMIT ${RECENT_CONNECTS_KEPT}) AS kept) END`;

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    tags: tagsFromList(row.tags),
    status: row.online ? 'online' : 'offline',
    lastSeenAt: row.lastSeenAt,
    firmwareVersion: row.firmwareVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
