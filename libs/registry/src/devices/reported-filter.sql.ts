import { Prisma } from '@edgefleet/database';

/**
 * `reported.<path>=<value>` filters (CONTRACT §2 device list) against the twin's reported
 * state, kept in `device_twins` by the twin feature. A value matches the reported value's
 * text form (`#>>`), so `2.1.0`, `42` and `true` match the string, number or boolean.
 * There is no index on reported state (its writes stay HOT, docs/decisions.md): the list
 * walks devices in id order and probes each one's twin row by primary key.
 */
export function reportedFilterSql(reported: Record<string, string>): Prisma.Sql | null {
  const conditions = Object.entries(reported).map(([path, value]) => Prisma.sql`tw.reported #>> ${path.split('.')}::text[] = ${value}`);
  if (conditions.length === 0) return null;
  return Prisma.sql`EXISTS (SELECT 1 FROM device_twins tw WHERE tw.device_id = d.id AND ${Prisma.join(conditions, ' AND ')})`;
}
