/** What to send for a GET of `size` bytes, given its Range and If-Range headers (RFC 9110 §14). */
export type RangePlan = { status: 200 } | { status: 206; start: number; end: number } | { status: 416 };

/**
 * Honours one byte range; a multi-range request is answered whole (RFC 9110 §14.2 lets a
 * server ignore Range), as is a malformed one. If-Range must be the strong ETag of these
 * bytes, otherwise the client's partial copy is of something else and gets the whole
 * thing (§13.1.5); a date in If-Range is answered whole too, since only ETags are offered.
 */
export function planRange(size: number, etag: string, range?: string, ifRange?: string): RangePlan {
  if (range === undefined) return { status: 200 };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { status: 200 };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!match) return { status: 200 };
  const [, first, last] = match;
  if (first === '' && last === '') return { status: 200 };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { status: 416 };
    return { status: 206, start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { status: 200 };
  if (start >= size) return { status: 416 };
  return { status: 206, start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
