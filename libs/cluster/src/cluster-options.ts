import type { ClusterConfig } from '@edgefleet/config';

export const CLUSTER_OPTIONS = Symbol('CLUSTER_OPTIONS');

export interface ClusterOptions extends ClusterConfig {
  /** The shared Postgres: membership rows, and the one LISTEN connection for cross-node signals. */
  databaseUrl: string;
}
