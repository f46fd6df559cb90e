import { DomainErrorCode } from '@edgefleet/common';
import { parseIfMatch } from '../src/if-match';

describe('parseIfMatch', () => {
  it.each([
    ['3', 3],
    ['"3"', 3],
    ['W/"12"', 12],
    [' "0" ', 0],
  ])('%s is version %d', (header, version) => expect(parseIfMatch(header)).toBe(version));

  it('means no precondition when absent or *', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBeUndefined();
  });

  it.each(['abc', '"1", "2"', '-1', '1.5', ''])('refuses %j naming the header', (header) => {
    expect(() => parseIfMatch(header)).toThrow(expect.objectContaining({ code: DomainErrorCode.Invalid, message: expect.stringContaining('If-Match') }));
  });
});
