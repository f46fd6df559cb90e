import { existsSync } from 'node:fs';
import { ConfigError } from './fleet-config';
import { type Env, readPositiveInt, readString } from './env-readers';

export interface IdentityConfig {
  /** The operator's own fleet CA (PEM certificate and PKCS#8 key); unset: one generated in `$FLEET_DATA_DIR/keys`. */
  caCertFile?: string;
  caKeyFile?: string;
  /** How long a device certificate signed from a CSR stays valid. */
  deviceCertificateDays: number;
}

export function readIdentityConfig(env: Env): IdentityConfig {
  const caCertFile = readString(env, 'FLEET_CA_CERT_FILE');
  const caKeyFile = readString(env, 'FLEET_CA_KEY_FILE');
  if (caCertFile && !caKeyFile) throw new ConfigError('FLEET_CA_KEY_FILE', 'is required when FLEET_CA_CERT_FILE is set');
  if (caKeyFile && !caCertFile) throw new ConfigError('FLEET_CA_CERT_FILE', 'is required when FLEET_CA_KEY_FILE is set');
  if (caCertFile && !existsSync(caCertFile)) throw new ConfigError('FLEET_CA_CERT_FILE', `file '${caCertFile}' does not exist`);
  if (caKeyFile && !existsSync(caKeyFile)) throw new ConfigError('FLEET_CA_KEY_FILE', `file '${caKeyFile}' does not exist`);
  return { caCertFile, caKeyFile, deviceCertificateDays: readPositiveInt(env, 'DEVICE_CERT_DAYS', 365) };
}
