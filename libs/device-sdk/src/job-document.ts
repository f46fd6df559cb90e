import type { JobDocument } from '@edgefleet/contracts';
import type { JsonObject } from './json-state';

export type ParsedJobDocument = { ok: true; document: JobDocument } | { ok: false; reason: string };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a job document (CONTRACT §3, retained on `devices/{id}/jobs/{jobId}`) before
 * anything acts on it. Unknown extra fields are allowed, so a newer server can add to the
 * document without breaking older devices.
 */
export function parseJobDocument(payload: Buffer | string): ParsedJobDocument {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: 'job document is not valid JSON' };
  }
  if (!isObject(value)) return { ok: false, reason: 'job document is not a JSON object' };
  const rolloutId = typeof value.rolloutId === 'string' ? value.rolloutId : '';
  if (value.type === 'config') {
    if (!isObject(value.config)) return { ok: false, reason: 'config job without a config object' };
    return { ok: true, document: { type: 'config', rolloutId, config: value.config } };
  }
  if (value.type === 'firmware') {
    const artifact = value.artifact;
    if (!isObject(artifact)) return { ok: false, reason: 'firmware job without an artifact' };
    const { id, version, size, sha256, url, signature } = artifact;
    if (typeof id !== 'string' || !id) return { ok: false, reason: 'artifact.id missing' };
    if (typeof version !== 'string' || !version) return { ok: false, reason: 'artifact.version missing' };
    if (!Number.isSafeInteger(size) || (size as number) < 0) return { ok: false, reason: 'artifact.size is not a byte count' };
    if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) return { ok: false, reason: 'artifact.sha256 is not a SHA-256 hex digest' };
    if (typeof signature !== 'string' || !signature) return { ok: false, reason: 'artifact.signature missing' };
    if (url !== undefined && typeof url !== 'string') return { ok: false, reason: 'artifact.url is not a string' };
    const announced = { id, version, size: size as number, sha256: sha256.toLowerCase(), signature, url: url ?? '' };
    return { ok: true, document: { type: 'firmware', rolloutId, artifact: announced } };
  }
  return { ok: false, reason: `unknown job type ${JSON.stringify(value.type)}` };
}
