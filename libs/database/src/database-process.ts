/** The token of the embedded Postgres's supervisor in the app, when the server runs one (absent with DATABASE_URL). */
export const DATABASE_PROCESS = Symbol('DATABASE_PROCESS');

export interface DatabaseProcessStatus {
  /** `restarting` while the supervisor brings a postmaster that died back; `failed` once it gave up. */
  state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';
  /** Times the postmaster was restarted after it died, since this server started. */
  restarts: number;
  /** How the last postmaster ended, or why the last restart attempt failed. */
  lastExit?: string;
}

/** What the app may ask of a database process it does not own. */
export interface DatabaseProcess {
  status(): DatabaseProcessStatus;
}
