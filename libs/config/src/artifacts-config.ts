import { existsSync } from 'node:fs';
import { ConfigError } from './fleet-config';
import { type Env, readPositiveInt, readString, readUrl } from './env-readers';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface ArtifactsConfig {
  /** Largest firmware file accepted by upload; a bigger one is refused with 413. */
  maxUploadBytes: number;
  /** PKCS#8 PEM Ed25519 private key that signs new artifacts; unset: one generated in `$FLEET_DATA_DIR/keys`. */
  signingKeyFile?: string;
  /** Origin devices use for download URLs (behind a proxy or NAT); unset: the server's own HTTP address. */
  publicUrl?: string;
  /** How long a device download URL stays valid. */
  downloadUrlTtlSeconds: number;
  /** Largest chunk answered over MQTT; bigger requests are capped to this. */
  chunkMaxBytes: number;
}

export function readArtifactsConfig(env: Env): ArtifactsConfig {
  const signingKeyFile = readString(env, 'FLEET_SIGNING_KEY_FILE');
  if (signingKeyFile !== undefined && !existsSync(signingKeyFile)) {
    throw new ConfigError('FLEET_SIGNING_KEY_FILE', `file '${signingKeyFile}' does not exist`);
  }
  const chunkKib = readPositiveInt(env, 'ARTIFACT_CHUNK_MAX_KB', 64);
  // A chunk is held in memory for every device with a request in flight; 16 MiB bounds that.
  if (chunkKib > 16 * KIB) throw new ConfigError('ARTIFACT_CHUNK_MAX_KB', `${chunkKib} is above the limit of ${16 * KIB} (16 MiB)`);
  const publicUrl = readUrl(env, 'FLEET_PUBLIC_URL', ['http:', 'https:']);
  return {
    maxUploadBytes: readPositiveInt(env, 'ARTIFACT_MAX_UPLOAD_MB', 2048) * MIB,
    signingKeyFile,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    downloadUrlTtlSeconds: readPositiveInt(env, 'ARTIFACT_URL_TTL_SECONDS', 3600),
    chunkMaxBytes: chunkKib * KIB,
  };
}
