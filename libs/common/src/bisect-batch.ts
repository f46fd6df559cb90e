/** One part of a batch that was written, and what its write returned. */
export interface WrittenPart<T, R> {
  rows: T[];
  result: R;
}

export interface BisectOutcome<T, R> {
  written: WrittenPart<T, R>[];
  /** Rows refused alone, each with the error its own write failed with. */
  refused: Array<{ row: T; error: Error }>;
  /** What was left when a write failed for a reason not a row's, and that error; for the caller's bounded retry. */
  unwritten?: { rows: T[]; error: Error };
}

/**
 * A batch is an optimisation, never a shared fate: writes `rows` at once, and when that
 * fails because of a row (`isRowFault`, e.g. Postgres refusing its data), splits the batch in
 * halves and writes each, down to the row at fault, which is refused alone while the rest
 * is written. A failure that is not a row's (the database is down) stops there: the rows not
 * yet written are returned as `unwritten`, for the caller's bounded retry. Costs about
 * 2·log2(n) extra writes per bad row, nothing while no row is at fault.
 */
export async function bisectBatch<T, R>(
  rows: readonly T[],
  write: (rows: T[]) => Promise<R>,
  isRowFault: (error: unknown) => boolean,
): Promise<BisectOutcome<T, R>> {
  const outcome: BisectOutcome<T, R> = { written: [], refused: [] };
  const parts: T[][] = [[...rows]];
  for (let part = parts.pop(); part; part = parts.pop()) {
    if (part.length === 0) continue;
    try {
      outcome.written.push({ rows: part, result: await write(part) });
    } catch (error) {
      if (!isRowFault(error)) {
        outcome.unwritten = { rows: [part, ...parts.reverse()].flat(), error: error as Error };
        return outcome;
      }
      if (part.length === 1) {
        outcome.refused.push({ row: part[0], error: error as Error });
        continue;
      }
      const middle = Math.ceil(part.length / 2);
      // Second half pushed first, so the first half is written first: rows keep their order.
      parts.push(part.slice(middle), part.slice(0, middle));
    }
  }
  return outcome;
}
