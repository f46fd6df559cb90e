import { bisectBatch } from '@edgefleet/common';

class RowFault extends Error {}
const isRowFault = (error: unknown) => error instanceof RowFault;

/** A write that refuses any batch containing a bad row, like Postgres with one bad jsonb value. */
function writer(bad: Set<number>, down = () => false) {
  const calls: number[][] = [];
  const written: number[] = [];
  const write = async (rows: number[]) => {
    calls.push(rows);
    if (down()) throw new Error('connection refused');
    if (rows.some((row) => bad.has(row))) throw new RowFault(`bad row in ${rows.length}`);
    written.push(...rows);
    return rows.length;
  };
  return { write, calls, written };
}

describe('bisectBatch', () => {
  it('writes a clean batch in one write', async () => {
    const { write, calls } = writer(new Set());
    const outcome = await bisectBatch([1, 2, 3], write, isRowFault);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(outcome).toEqual({ written: [{ rows: [1, 2, 3], result: 3 }], refused: [] });
  });

  it('finds the bad rows, refuses them alone and writes all others in order', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const { write, calls, written } = writer(new Set([17, 500, 999]));
    const outcome = await bisectBatch(rows, write, isRowFault);
    expect(outcome.refused.map((r) => r.row)).toEqual([17, 500, 999]);
    expect(written).toEqual(rows.filter((row) => ![17, 500, 999].includes(row)));
    expect(calls.length).toBeLessThan(3 * 2 * Math.log2(1000) + 2);
  });

  it('stops at a failure that is not a row fault and returns what is unwritten', async () => {
    let writes = 0;
    const { write, written } = writer(new Set([1]), () => ++writes > 3);
    const outcome = await bisectBatch([0, 1, 2, 3, 4, 5, 6, 7], write, isRowFault);
    expect(outcome.unwritten?.error.message).toBe('connection refused');
    expect([...written, ...outcome.refused.map((r) => r.row), ...outcome.unwritten!.rows].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
