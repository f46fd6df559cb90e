import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random secrets (API tokens, device passwords) carry 256 bits of entropy, so a fast
 * hash is enough to store them: there is nothing to brute-force, unlike a human password.
 */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(secret: string, hash: string): boolean {
  const candidate = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
