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
    tls?: { port: number; certFile: string; keyFile: string };
    brokerUrl?: string;
  };
  adminToken?: string;
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
