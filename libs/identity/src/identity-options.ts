import type { IdentityConfig } from '@edgefleet/config';

export const IDENTITY_OPTIONS = Symbol('IDENTITY_OPTIONS');

export interface IdentityOptions extends IdentityConfig {
  /** `$FLEET_DATA_DIR`: a generated fleet CA goes to `keys/`. */
  dataDir: string;
}
