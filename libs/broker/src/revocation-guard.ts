/** How long a revocation is remembered: longer than any CONNECT takes from authentication to registration. */
const REMEMBER_MS = 60_000;

/**
 * Closes the gap between authenticating a session and aedes registering it: a revocation
 * landing in between finds no session to close, so the session is checked when it appears.
 */
export class RevocationGuard<Session extends object> {
  private sequence = 0;
  private readonly revokedAt = new Map<string, number>();
  private readonly authenticatedAt = new WeakMap<Session, number>();

  revoked(deviceId: string): void {
    const at = ++this.sequence;
    this.revokedAt.set(deviceId, at);
    setTimeout(() => {
      if (this.revokedAt.get(deviceId) === at) this.revokedAt.delete(deviceId);
    }, REMEMBER_MS).unref();
  }

  authenticated(session: Session): void {
    this.authenticatedAt.set(session, this.sequence);
  }

  /** Whether the device's credential was revoked after this session authenticated. */
  isRevoked(deviceId: string, session: Session): boolean {
    const revoked = this.revokedAt.get(deviceId);
    return revoked !== undefined && revoked > (this.authenticatedAt.get(session) ?? -1);
  }
}
