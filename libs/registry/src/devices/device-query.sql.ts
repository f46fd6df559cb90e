import { Prisma } from '@edgefleet/database';
import type { DeviceCriteria, DeviceQuery } from './device-filter';
import { reportedFilterSql } from './reported-filter.sql';

/**
 * Device filters as SQL, for the list and any bulk selection of devices. Every
 * filter maps to an indexed column: (type, id), (online, id), (firmware_version, id),
 * and the GIN index on tags for `tags @> ARRAY[...]`.
 */
export function deviceQuerySql(query: DeviceQuery): Prisma.Sql {
  const clauses = query.criteria.flatMap(criteriaSql);
  if (query.memberOfGroupId) {
    clauses.push(Prisma.sql`EXISTS (SELECT 1 FROM group_members gm WHERE gm.device_id = d.id AND gm.group_id = ${query.memberOfGroupId}::uuid)`);
  }
  return clauses.length ? Prisma.join(clauses, ' AND ') : Prisma.sql`TRUE`;
}

function criteriaSql(criteria: DeviceCriteria): Prisma.Sql[] {
  const clauses: Prisma.Sql[] = [];
  if (criteria.type !== undefined) clauses.push(Prisma.sql`d.type = ${criteria.type}`);
  if (criteria.status !== undefined) clauses.push(Prisma.sql`d.online = ${criteria.status === 'online'}`);
  if (criteria.firmware !== undefined) clauses.push(Prisma.sql`d.firmware_version = ${criteria.firmware}`);
  if (criteria.tag?.length) clauses.push(Prisma.sql`d.tags @> ${criteria.tag}::text[]`);
  if (criteria.q) {
    const pattern = `%${criteria.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    clauses.push(Prisma.sql`(d.id ILIKE ${pattern} OR d.name ILIKE ${pattern})`);
  }
  const reported = criteria.reported && reportedFilterSql(criteria.reported);
  if (reported) clauses.push(reported);
  return clauses;
}

const isoTime = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The device as the API shows it (DeviceDto): its stored registry JSON (`registryJson`) with
 * presence and firmware added, so a list page costs Postgres a few string joins per row.
 * `firmware_version` is device-reported text, so it goes through to_json for escaping.
 */
export const DEVICE_JSON = Prisma.sql`left(d.registry_json, -1)
  || CASE WHEN d.online THEN ',"status":"online"' ELSE ',"status":"offline"' END
  || ',"lastSeenAt":' || coalesce('"' || ${isoTime('d.last_seen_at')} || '"', 'null')
  || ',"firmwareVersion":' || coalesce(to_json(d.firmware_version)::text, 'null') || '}'`;
