/** A closed range of milliseconds (or any number), written `200-2000` or just `500`. */
export interface ValueRange {
  min: number;
  max: number;
}

export function parseRange(text: string, name: string): ValueRange {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(text);
  if (!match) throw new Error(`${name}: expected a number or a range like 200-2000, got '${text}'`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new Error(`${name}: range ${text} ends before it starts`);
  return { min, max };
}

/** A uniform draw from the range. */
export function pick(range: ValueRange, random: () => number = Math.random): number {
  return range.min + (range.max - range.min) * random();
}

export function formatRange(range: ValueRange): string {
  return range.min === range.max ? String(range.min) : `${range.min}-${range.max}`;
}
