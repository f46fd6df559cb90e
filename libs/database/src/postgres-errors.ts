/**
 * The SQLSTATE of a Postgres error, whether it comes from pg directly or wrapped by Prisma's
 * driver adapter (in `meta.driverAdapterError.cause.originalCode`, or a `cause` chain); ''
 * when there is none (a connection that never opened, say).
 */
export function postgresErrorCode(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const original = (current as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } }).meta?.driverAdapterError?.cause?.originalCode;
    if (original) return original;
    const code = (current as { code?: unknown }).code;
    // Prisma's own codes (P2039) have the same shape as SQLSTATEs; the SQLSTATE is in meta then.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^P\d{4}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/**
 * Whether Postgres refused a statement for the data it was given (class 22, data exception:
 * invalid JSON text, U+0000, an untranslatable character, a value out of range), which one
 * row of a batch can cause, as opposed to the database being unavailable or overloaded. A
 * batched write that fails so is split to find the row (`bisectBatch`).
 */
export function isRowFault(error: unknown): boolean {
  return postgresErrorCode(error).startsWith('22');
}
