import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { type SignedArtifactFields, artifactSignatureMessage } from '@edgefleet/contracts';

/** The artifact as a firmware job document announces it (CONTRACT §3). */
export interface AnnouncedArtifact extends SignedArtifactFields {
  /** Base64 Ed25519 signature over `artifactSignatureMessage(...)`. */
  signature: string;
}

/** What was actually received. */
export interface ReceivedArtifact {
  sha256: string;
  size: number;
}

export function loadSigningKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`signing key is ${key.asymmetricKeyType}, expected ed25519`);
  return key;
}

/**
 * Why the received bytes must not be installed, or null when they may be. The signature is
 * checked against the announced fields and the hash against the bytes, so a changed file,
 * a changed hash and a signature from another key or for another version all fail.
 */
export function artifactRefusal(announced: AnnouncedArtifact, received: ReceivedArtifact, signingKey: KeyObject): string | null {
  if (received.size !== announced.size) return `size mismatch: announced ${announced.size} bytes, received ${received.size}`;
  if (received.sha256 !== announced.sha256.toLowerCase()) return `sha256 mismatch: announced ${announced.sha256}, received ${received.sha256}`;
  const signature = Buffer.from(announced.signature, 'base64');
  const message = Buffer.from(artifactSignatureMessage(announced), 'utf8');
  let valid = false;
  try {
    valid = verify(null, message, signingKey, signature);
  } catch {
    valid = false;
  }
  return valid ? null : 'signature verification failed: not signed by the fleet signing key for this id, version, hash and size';
}
