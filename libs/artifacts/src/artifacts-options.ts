import type { ArtifactsConfig } from '@edgefleet/config';

export const ARTIFACTS_OPTIONS = Symbol('ARTIFACTS_OPTIONS');

export interface ArtifactsOptions extends ArtifactsConfig {
  /** `$FLEET_DATA_DIR`: files go to `artifacts/`, keys and the URL secret to `keys/`. */
  dataDir: string;
  /** Used for device URLs when `publicUrl` is unset and the server is not listening yet. */
  httpHost: string;
  httpPort: number;
}
