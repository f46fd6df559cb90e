import { InvalidInputError } from '@edgefleet/common';

/**
 * The desiredVersion an `If-Match` header asks for (RFC 9110 §13.1.1): `3`, `"3"` or
 * `W/"3"`; absent or `*` means no precondition.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!match) throw new InvalidInputError('must be the desiredVersion to match, e.g. "3" (as in the ETag)', 'If-Match');
  return Number(match[1]);
}
