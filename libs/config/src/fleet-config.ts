import type { ArtifactsConfig } from './artifacts-config';
import type { TwinConfig } from './twin-config';
import type { RolloutsConfig } from './rollouts-config';
import type { IdentityConfig } from './identity-config';
import type { ClusterConfig } from './cluster-config';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface FleetConfig {
  dataDir: string;
  database: { url?: string };
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Server-sent event streams open at once: in total, and per API token. */
    eventStreams: { max: number; perToken: number };
  };
  mqtt: {
    host: string;
    port: number;
    wsPort: number;
    /** MQTT over TLS; without files the server certificate is issued by the fleet CA. */
    tls?: { port: number; certFile?: string; keyFile?: string };
    brokerUrl?: string;
    /** Largest MQTT packet accepted from a client; a bigger one closes the connection. */
    maxPacketBytes: number;
    /**
     * Open MQTT sockets on all listeners together, counted from accept (before CONNECT): past it
     * the longest-silent socket without a CONNECT makes room, or the new one is closed.
     */
    maxConnections: number;
    /** A socket that has not sent CONNECT this long after accept is closed. */
    connectTimeoutMs: number;
    /** Bytes queued to one client that is not reading; past it that client alone is disconnected. */
    maxOutboundBytes: number;
    /** Per-device publish rate limit (token bucket): sustained rate and burst. */
    rateLimit: { perSecond: number; burst: number };
  };
  /** Failed authentication (bad API tokens, bad MQTT credentials) per source address: a token bucket of failures. */
  authThrottle: { burst: number; perMinute: number };
  adminToken?: string;
  artifacts: ArtifactsConfig;
  twin: TwinConfig;
  rollouts: RolloutsConfig;
  identity: IdentityConfig;
  cluster: ClusterConfig;
  log: { level: LogLevel; format: LogFormat };
  /** Less free space than this under the data folder is a warning in /health. */
  disk: { minFreeBytes: number };
}

/** A setting that failed validation; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}
