import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError } from './fleet-config';
import { type Env, readPositiveInt, readString } from './env-readers';

export interface ClusterConfig {
  /** This process's name in the cluster (`FLEET_NODE_ID`, default `{hostname}-{pid}-{random}`). */
  nodeId: string;
  /**
   * `FLEET_NODE_ID` was set: this process is one node of a cluster, so at start it marks offline
   * only the devices of dead nodes. Unset: a lone server, which marks every device offline at start.
   */
  joined: boolean;
  /** How often the node writes its heartbeat. */
  heartbeatMs: number;
  /** A node whose heartbeat is older than this is dead; live nodes mark its devices offline. */
  deadAfterMs: number;
  /**
   * A node's SIGTERM closes its device sessions spread at random over this window
   * (`FLEET_DRAIN_MS`), so their reconnects reach the other nodes as a trickle, not a storm.
   * A lone server has nowhere to send them and closes them at once.
   */
  drainMs: number;
  /**
   * How often a node checks the sessions it holds against the database (`FLEET_SESSION_SWEEP_MS`):
   * a revoke or takeover signal that never arrived (its connection was down) closes the session
   * this late at the most. Also the longest a credential stays cached on a node.
   */
  sessionSweepMs: number;
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function readClusterConfig(env: Env): ClusterConfig {
  const given = readString(env, 'FLEET_NODE_ID');
  if (given !== undefined && !NODE_ID.test(given)) {
    throw new ConfigError('FLEET_NODE_ID', 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  }
  const nodeId = given ?? `${hostname().replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 80) || 'node'}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const joined = given !== undefined;
  const drainMs = readPositiveInt(env, 'FLEET_DRAIN_MS', 5_000);
  const sessionSweepMs = readPositiveInt(env, 'FLEET_SESSION_SWEEP_MS', 30_000);
  return { nodeId, joined, heartbeatMs: 2_000, deadAfterMs: 10_000, drainMs: joined ? drainMs : 0, sessionSweepMs };
}
