/** A public key artifacts are verified with; old ones stay published after rotation. */
export interface SigningKey {
  /** First 16 hex digits of the SHA-256 of the key's SPKI DER encoding. */
  id: string;
  publicKeyPem: string;
  /** When this server first signed with it. */
  createdAt: Date;
}
