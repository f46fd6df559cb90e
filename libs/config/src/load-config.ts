import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type FleetConfig } from './fleet-config';
import { readArtifactsConfig } from './artifacts-config';
import { readTwinConfig } from './twin-config';
import { readRolloutsConfig } from './rollouts-config';
import { readIdentityConfig } from './identity-config';
import { readClusterConfig } from './cluster-config';
import { type Env, readEnum, readHost, readPort, readPositiveInt, readString, readUrl } from './env-readers';

const KIB = 1024;
const MIB = 1024 * KIB;
/** MQTT 3.1.1 §2.2.3: the Remaining Length field tops out at 268,435,455 bytes. */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;

/** Reads and validates every setting once, at boot (CONTRACT §1). */
export function loadConfig(env: Env = process.env): FleetConfig {
  const tlsCert = readString(env, 'MQTT_TLS_CERT');
  const tlsKey = readString(env, 'MQTT_TLS_KEY');
  const tlsPort = readString(env, 'MQTTS_PORT');
  const adminToken = readString(env, 'FLEET_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('FLEET_ADMIN_TOKEN', 'must be at least 16 characters');
  }
  return {
    dataDir: resolve(readString(env, 'FLEET_DATA_DIR') ?? './.data'),
    database: { url: readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']) },
    http: {
      host: readHost(env, 'HTTP_HOST', '127.0.0.1'),
      port: readPort(env, 'HTTP_PORT', 3000),
      bodyLimitBytes: readPositiveInt(env, 'HTTP_BODY_LIMIT_MB', 16) * MIB,
      eventStreams: {
        max: readPositiveInt(env, 'SSE_MAX_STREAMS', 1_000),
        perToken: readPositiveInt(env, 'SSE_MAX_STREAMS_PER_TOKEN', 20),
      },
    },
    mqtt: {
      host: readHost(env, 'MQTT_HOST', '127.0.0.1'),
      port: readPort(env, 'MQTT_PORT', 1883),
      wsPort: readPort(env, 'MQTT_WS_PORT', 8083),
      tls: readTls(tlsPort, tlsCert, tlsKey, env),
      brokerUrl: readUrl(env, 'BROKER_URL', ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']),
      maxPacketBytes: readMaxPacketBytes(env),
      maxConnections: readPositiveInt(env, 'MQTT_MAX_CONNECTIONS', 50_000),
      connectTimeoutMs: readPositiveInt(env, 'MQTT_CONNECT_TIMEOUT_MS', 5_000),
      maxOutboundBytes: readPositiveInt(env, 'MQTT_MAX_OUTBOUND_KB', 4_096) * KIB,
      rateLimit: {
        perSecond: readPositiveInt(env, 'MQTT_RATE_LIMIT_PER_SEC', 50),
        burst: readPositiveInt(env, 'MQTT_RATE_LIMIT_BURST', 100),
      },
    },
    authThrottle: {
      burst: readPositiveInt(env, 'AUTH_THROTTLE_BURST', 30),
      perMinute: readPositiveInt(env, 'AUTH_THROTTLE_PER_MIN', 30),
    },
    adminToken,
    artifacts: readArtifactsConfig(env),
    twin: readTwinConfig(env),
    rollouts: readRolloutsConfig(env),
    identity: readIdentityConfig(env),
    cluster: readClusterConfig(env),
    disk: { minFreeBytes: readPositiveInt(env, 'FLEET_DISK_MIN_FREE_MB', 1024) * MIB },
    log: {
      level: readEnum(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'info'),
      format: readEnum(env, 'LOG_FORMAT', ['json', 'pretty'] as const, env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    },
  };
}

function readTls(port: string | undefined, cert: string | undefined, key: string | undefined, env: Env): FleetConfig['mqtt']['tls'] {
  // MQTTS_PORT alone: TLS with a server certificate from the fleet CA.
  if (!cert && !key) return port === undefined ? undefined : { port: readPort(env, 'MQTTS_PORT', 8883) };
  if (!cert) throw new ConfigError('MQTT_TLS_CERT', 'is required when MQTT_TLS_KEY is set');
  if (!key) throw new ConfigError('MQTT_TLS_KEY', 'is required when MQTT_TLS_CERT is set');
  if (!existsSync(cert)) throw new ConfigError('MQTT_TLS_CERT', `file '${cert}' does not exist`);
  if (!existsSync(key)) throw new ConfigError('MQTT_TLS_KEY', `file '${key}' does not exist`);
  return { port: port === undefined ? 8883 : readPort(env, 'MQTTS_PORT', 8883), certFile: cert, keyFile: key };
}

function readMaxPacketBytes(env: Env): number {
  const bytes = readPositiveInt(env, 'MQTT_MAX_PACKET_BYTES', 256 * KIB);
  if (bytes < 64) throw new ConfigError('MQTT_MAX_PACKET_BYTES', `${bytes} is too small for a CONNECT packet (at least 64)`);
  if (bytes > MQTT_MAX_REMAINING_LENGTH) throw new ConfigError('MQTT_MAX_PACKET_BYTES', `${bytes} is above the MQTT limit of ${MQTT_MAX_REMAINING_LENGTH}`);
  return bytes;
}
