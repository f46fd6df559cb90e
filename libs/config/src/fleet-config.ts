import type { ArtifactsConfig } from './artifacts-config';
import type { TwinConfig } from './twin-config';
import type { RolloutsConfig } from './rollouts-config';
import type { IdentityConfig } from './identity-config';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface FleetConfig {
  dataDir: string;
  database: { url?: string };
  http: { host: string; port: number; bodyLimitBytes: number };
  mqtt: {
    host: string;
    port: number;
    wsPort: number;
    /** MQTT over TLS; without files the server certificate is issued by the fleet CA. */
    tls?: { port: number; certFile?: string; keyFile?: string };
    brokerUrl?: string;
    /** Largest MQTT packet accepted from a client; a bigger one closes the connection. */
    maxPacketBytes: number;
    /** Concurrent device sessions; CONNECTs beyond it are refused. */
    maxConnections: number;
    /** Per-device publish rate limit (token bucket): sustained rate and burst. */
    rateLimit: { perSecond: number; burst: number };
  };
  adminToken?: string;
  artifacts: ArtifactsConfig;
  twin: TwinConfig;
  rollouts: RolloutsConfig;
  identity: IdentityConfig;
  log: { level: LogLevel; format: LogFormat };
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
