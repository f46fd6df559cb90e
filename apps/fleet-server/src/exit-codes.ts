import { ConfigError } from '@edgefleet/config';
import { DataDirLockedError } from '@edgefleet/database';

/** The server's exit codes (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** Start or shutdown failed for another reason, named in the log line. */
  failed: 1,
  /** A setting is invalid or unusable (bad value, port in use, data folder that cannot be made). */
  badSetting: 2,
  /** Another live server runs the embedded Postgres of this FLEET_DATA_DIR. */
  dataDirInUse: 3,
  /** The embedded Postgres died and could not be restarted. */
  databaseLost: 4,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.badSetting;
  if (error instanceof DataDirLockedError) return EXIT.dataDirInUse;
  return EXIT.failed;
}

export function oneLineCause(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim();
}
