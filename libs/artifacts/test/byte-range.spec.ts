import { planRange } from '../src/delivery/byte-range';

describe('planRange (RFC 9110 §14)', () => {
  const etag = '"abc"';

  it.each([
    ['no Range', undefined, undefined, { status: 200 }],
    ['a closed range', 'bytes=0-99', undefined, { status: 206, start: 0, end: 99 }],
    ['an open range', 'bytes=900-', undefined, { status: 206, start: 900, end: 999 }],
    ['an end past the size, clamped', 'bytes=990-5000', undefined, { status: 206, start: 990, end: 999 }],
    ['a suffix range', 'bytes=-10', undefined, { status: 206, start: 990, end: 999 }],
    ['a suffix longer than the file', 'bytes=-5000', undefined, { status: 206, start: 0, end: 999 }],
    ['a start at the end', 'bytes=1000-', undefined, { status: 416 }],
    ['a zero suffix', 'bytes=-0', undefined, { status: 416 }],
    ['last before first (invalid, ignored)', 'bytes=50-10', undefined, { status: 200 }],
    ['several ranges (answered whole)', 'bytes=0-1,5-6', undefined, { status: 200 }],
    ['another unit', 'items=0-1', undefined, { status: 200 }],
    ['If-Range equal to the ETag', 'bytes=10-', '"abc"', { status: 206, start: 10, end: 999 }],
    ['If-Range of other bytes', 'bytes=10-', '"old"', { status: 200 }],
    ['a weak If-Range', 'bytes=10-', 'W/"abc"', { status: 200 }],
    ['a date in If-Range', 'bytes=10-', 'Wed, 21 Oct 2026 07:28:00 GMT', { status: 200 }],
  ])('%s', (_case, range, ifRange, plan) => {
    expect(planRange(1000, etag, range, ifRange)).toEqual(plan);
  });
});
