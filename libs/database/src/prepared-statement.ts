import type { QueryConfig } from 'pg';

/** Every pg connection keeps each statement it prepared; this bounds how many shapes get a name. */
const MAX_NAMED_STATEMENTS = 128;
const names = new Map<string, string>();

/**
 * A query for `PrismaService.pool` as a named prepared statement, so each connection parses
 * and plans a statement shape once instead of on every call. The text must hold only
 * placeholders, never values (Prisma.sql guarantees that). Past the bound, shapes run unnamed.
 */
export function preparedStatement(text: string, values: readonly unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) names.set(text, (name = `edgefleet_${names.size}`));
  return { name, text, values: [...values] };
}
