import { type DeviceMessageSpec, accept, isJsonObject, reject } from './device-payload';
import { deviceTopicPrefix } from './topics';

/**
 * Firmware artifacts as devices see them (CONTRACT §3): the signed message, and chunked
 * delivery over MQTT for devices that cannot use HTTP.
 */

/** The artifact fields a signature covers; the job document carries all of them. */
export interface SignedArtifactFields {
  id: string;
  version: string;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  size: number;
}

export const ARTIFACT_SIGNATURE_SCHEME = 'edgefleet-artifact-v1';

/**
 * The exact UTF-8 text an artifact's Ed25519 signature is made over. Covering id and
 * version as well as the hash means a device can tell it was sent the version it expects,
 * not just genuine bytes of some other release.
 */
export function artifactSignatureMessage(artifact: SignedArtifactFields): string {
  return `${ARTIFACT_SIGNATURE_SCHEME}\n${artifact.id}\n${artifact.version}\n${artifact.sha256}\n${artifact.size}`;
}

/** Device → server: `{offset, length}` asks for `length` bytes starting at `offset`. */
export interface ArtifactChunkRequest {
  offset: number;
  length: number;
}

/** Pattern `devices/{deviceId}/artifacts/{artifactId}/get`. */
export const artifactChunkRequestSpec: DeviceMessageSpec<ArtifactChunkRequest> = {
  pattern: 'devices/+/artifacts/+/get',
  check(value) {
    if (!isJsonObject(value)) return reject('payload must be a JSON object {offset, length}');
    const unknown = Object.keys(value).filter((key) => key !== 'offset' && key !== 'length');
    if (unknown.length) return reject(`${unknown[0]}: unknown field`);
    const { offset, length } = value;
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) return reject('offset: must be a whole number ≥ 0');
    if (!Number.isSafeInteger(length) || (length as number) < 1) return reject('length: must be a whole number ≥ 1');
    return accept({ offset: offset as number, length: length as number });
  },
};

export function artifactChunkRequestTopic(deviceId: string, artifactId: string): string {
  return `${deviceTopicPrefix(deviceId)}artifacts/${artifactId}/get`;
}

/** Server → device: one chunk, binary. */
export function artifactDataTopic(deviceId: string, artifactId: string): string {
  return `${deviceTopicPrefix(deviceId)}artifacts/${artifactId}/data`;
}

export const ARTIFACT_CHUNK_HEADER_BYTES = 8;

/** A data payload: the chunk's offset as an unsigned 64-bit big-endian integer, then the bytes. */
export function encodeArtifactChunk(offset: number, bytes: Uint8Array): Buffer {
  const payload = Buffer.allocUnsafe(ARTIFACT_CHUNK_HEADER_BYTES + bytes.length);
  payload.writeBigUInt64BE(BigInt(offset), 0);
  payload.set(bytes, ARTIFACT_CHUNK_HEADER_BYTES);
  return payload;
}

export function decodeArtifactChunk(payload: Uint8Array): { offset: number; bytes: Buffer } {
  const buffer = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buffer.length < ARTIFACT_CHUNK_HEADER_BYTES) throw new Error('artifact chunk shorter than its 8-byte offset header');
  return { offset: Number(buffer.readBigUInt64BE(0)), bytes: buffer.subarray(ARTIFACT_CHUNK_HEADER_BYTES) };
}
