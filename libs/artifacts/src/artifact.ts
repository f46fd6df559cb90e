/** A firmware image as stored: immutable once uploaded (CONTRACT §2, §3). */
export interface Artifact {
  id: string;
  name: string;
  version: string;
  deviceTypes: string[];
  size: number;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  /** base64 Ed25519 signature over `artifactSignatureMessage` (CONTRACT §3). */
  signature: string;
  /** Which published signing key made `signature`. */
  signingKeyId: string;
  createdAt: Date;
  /** Set when a health-gated rollout with `quarantine` reverted it: new rollouts with it need `force`. */
  quarantine: ArtifactQuarantine | null;
}

export interface ArtifactQuarantine {
  at: Date;
  reason: string;
}

/** What an operator states about an upload, next to the file. */
export interface ArtifactDescription {
  name: string;
  version: string;
  deviceTypes: string[];
}
