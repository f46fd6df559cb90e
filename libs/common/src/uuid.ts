/** Whether `id` is a UUID as Postgres' `uuid` type takes it; anything else names no row, so lookups answer "not found" without asking. */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
