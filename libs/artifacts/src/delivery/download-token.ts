import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a device download URL lets its holder do: fetch one artifact, for one device's job, until a time. */
export interface DownloadGrant {
  artifactId: string;
  deviceId: string;
  jobId: string;
  /** Unix time in seconds. */
  expiresAt: number;
}

export type TokenCheck = { ok: true; grant: DownloadGrant } | { ok: false; reason: string };

/** `base64url(JSON)` `.` `base64url(HMAC-SHA256)`; the MAC covers the encoded payload exactly as sent. */
export function signDownloadToken(grant: DownloadGrant, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify([grant.artifactId, grant.deviceId, grant.jobId, grant.expiresAt]), 'utf8').toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

export function verifyDownloadToken(token: string, secret: Buffer, nowSeconds: number): TokenCheck {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length) return { ok: false, reason: 'malformed download token' };
  const expected = Buffer.from(mac(payload, secret), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid download token' };
  const grant = parseGrant(payload);
  if (!grant) return { ok: false, reason: 'malformed download token' };
  if (grant.expiresAt <= nowSeconds) return { ok: false, reason: 'download link expired; ask for the job document again' };
  return { ok: true, grant };
}

function mac(payload: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('base64url');
}

function parseGrant(payload: string): DownloadGrant | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 4) return null;
    const [artifactId, deviceId, jobId, expiresAt] = value as unknown[];
    if (typeof artifactId !== 'string' || typeof deviceId !== 'string' || typeof jobId !== 'string' || !Number.isInteger(expiresAt)) return null;
    return { artifactId, deviceId, jobId, expiresAt: expiresAt as number };
  } catch {
    return null;
  }
}
