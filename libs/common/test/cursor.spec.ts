import { InvalidInputError, decodeCursor, encodeCursor, toPage } from '@edgefleet/common';

describe('cursor', () => {
  it('round-trips a key', () => {
    expect(decodeCursor(encodeCursor('cam-0001'))).toBe('cam-0001');
  });

  it('treats a missing cursor as the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each(['not a cursor!', 'abc', Buffer.from('x:1').toString('base64url')])('rejects %p naming the field', (bad) => {
    expect(() => decodeCursor(bad)).toThrow(InvalidInputError);
    expect(() => decodeCursor(bad)).toThrow(/^cursor:/);
  });

  it('pages with one extra row telling whether more exist', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const page = toPage(rows, 2, (row) => row.id);
    expect(page.items.map((row) => row.id)).toEqual(['a', 'b']);
    expect(decodeCursor(page.nextCursor!)).toBe('b');
    expect(toPage(rows, 3, (row) => row.id).nextCursor).toBeNull();
  });
});
