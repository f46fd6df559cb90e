import type { DeviceSessionRecord } from '@edgefleet/registry';

/** Ids per query: one `id = ANY(...)` lookup of a few columns each. */
const IDS_PER_QUERY = 5_000;

/** A session this node holds, as the sweep judges it. */
export interface HeldSession {
  deviceId: string;
  /** When it opened here (ms): what the session directory's `session_at` says for it. */
  openedAt: number;
  /** The password hash it signed in with, for a password session. */
  passwordHash?: string;
  /** The certificate fingerprint it signed in with, for a certificate session. */
  fingerprint?: string;
  close(): void;
}

export type StaleReason = 'decommissioned' | 'credential-changed' | 'method-removed' | 'certificate-revoked' | 'taken-over';

export interface SessionSweepDeps {
  nodeId: string;
  held(): HeldSession[];
  records(ids: readonly string[]): Promise<Map<string, DeviceSessionRecord>>;
  /** Reads revocations made since the last sweep, on any node. */
  catchUpRevocations(): Promise<void>;
  isRevoked(fingerprint: string): boolean;
  closed(session: HeldSession, reason: StaleReason): void;
}

/**
 * Why the database says a session held here should not be open any more: what a revoke,
 * certificate-revoked or takeover signal from another node would have closed, had it arrived.
 */
export function staleReason(
  session: HeldSession,
  record: DeviceSessionRecord | undefined,
  nodeId: string,
  isRevoked: (fingerprint: string) => boolean,
): StaleReason | undefined {
  if (!record) return 'decommissioned';
  if (session.passwordHash !== undefined) {
    if (!record.authMethods.includes('password')) return 'method-removed';
    if (record.hash !== session.passwordHash) return 'credential-changed';
  }
  if (session.fingerprint !== undefined) {
    if (!record.authMethods.includes('certificate')) return 'method-removed';
    if (isRevoked(session.fingerprint)) return 'certificate-revoked';
  }
  // A newer session at another node. An older `session_at` there is this session's own presence write still on its way.
  if (record.sessionNode !== null && record.sessionNode !== nodeId && record.sessionAt !== null && record.sessionAt.getTime() > session.openedAt) return 'taken-over';
  return undefined;
}

/**
 * Checks every session this node holds against the database, in a few batched queries: cross-node
 * signals are hints over one connection, and one that is lost (the connection was down while it
 * was sent, on either side) would leave a revoked or taken-over session open. One sweep at a time;
 * a failed one is logged by the caller and the next tries again.
 */
export class SessionSweep {
  private running?: Promise<number>;

  constructor(private readonly deps: SessionSweepDeps) {}

  /** Resolves with how many sessions it closed; a call during a sweep joins it. */
  run(): Promise<number> {
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    const { deps } = this;
    await deps.catchUpRevocations();
    const held = deps.held();
    let closed = 0;
    for (let start = 0; start < held.length; start += IDS_PER_QUERY) {
      const chunk = held.slice(start, start + IDS_PER_QUERY);
      const records = await deps.records(chunk.map((session) => session.deviceId));
      for (const session of chunk) {
        const reason = staleReason(session, records.get(session.deviceId), deps.nodeId, deps.isRevoked);
        if (!reason) continue;
        session.close();
        deps.closed(session, reason);
        closed++;
      }
    }
    return closed;
  }
}
