import { parseArgs } from 'node:util';
import { type ValueRange, parseRange } from '@edgefleet/fleet-sim';

export interface RolloutBenchOptions {
  /** Fleet sizes, one rollout each on a fresh server: comparing them shows how load grows with the fleet. */
  sizes: number[];
  waves: number[];
  maxInFlight: number;
  artifactBytes: number;
  installTime: ValueRange;
  rebootTime: ValueRange;
  failRate: number;
  connectRate: number;
  timeoutSeconds: number;
  /** Health-gate mode: an ungated rollout, the same gated, then a revert; null when off. */
  health: { bakeSeconds: number; revertDevices: number; unhealthyShare: number } | null;
}

export const ROLLOUT_BENCH_USAGE = `npm run bench:rollout -- [options]   (each also as an environment variable)

  --devices N[,N…]     fleet sizes, one rollout each on a fresh server   BENCH_DEVICES (default 2000,10000)
  --waves P,P,…        cumulative wave percentages                        BENCH_WAVES (default 1,10,50,100)
  --max-in-flight N    strategy.maxInFlight                               BENCH_MAX_IN_FLIGHT (default 2000)
  --artifact-kb N      firmware image size                                BENCH_ARTIFACT_KB (default 16)
  --install-ms MS[-MS] time a simulated install takes                     BENCH_INSTALL_MS (default 0: answer at once)
  --reboot-ms MS[-MS]  time a simulated reboot takes                      BENCH_REBOOT_MS (default 0)
  --fail-rate P        probability an install fails                       BENCH_FAIL_RATE (default 0)
  --connect-rate N     device connections per second before the rollout  BENCH_CONNECT_RATE (default 2000)
  --timeout S          give up on a rollout after S seconds               BENCH_ROLLOUT_TIMEOUT_S (default 300)
  --health             per size: a rollout without a gate, the same with a health gate, then a revert
                                                                          BENCH_HEALTH=1
  --bake S             the gate's bakeSeconds                             BENCH_BAKE_S (default 30)
  --revert-devices N   devices in the revert run                          BENCH_REVERT_DEVICES (default 2000)
  --unhealthy-share P  share of them unhealthy on the bad version         BENCH_UNHEALTHY_SHARE (default 0.3)
`;

function positive(text: string, name: string, min = 1): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}: expected a number ≥ ${min}, got '${text}'`);
  return value;
}

function list(text: string, name: string): number[] {
  return text.split(',').map((part) => positive(part.trim(), name, 0));
}

export function parseRolloutBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RolloutBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      devices: { type: 'string', default: env.BENCH_DEVICES ?? '2000,10000' },
      waves: { type: 'string', default: env.BENCH_WAVES ?? '1,10,50,100' },
      'max-in-flight': { type: 'string', default: env.BENCH_MAX_IN_FLIGHT ?? '2000' },
      'artifact-kb': { type: 'string', default: env.BENCH_ARTIFACT_KB ?? '16' },
      'install-ms': { type: 'string', default: env.BENCH_INSTALL_MS ?? '0' },
      'reboot-ms': { type: 'string', default: env.BENCH_REBOOT_MS ?? '0' },
      'fail-rate': { type: 'string', default: env.BENCH_FAIL_RATE ?? '0' },
      'connect-rate': { type: 'string', default: env.BENCH_CONNECT_RATE ?? '2000' },
      timeout: { type: 'string', default: env.BENCH_ROLLOUT_TIMEOUT_S ?? '300' },
      health: { type: 'boolean', default: env.BENCH_HEALTH === '1' },
      bake: { type: 'string', default: env.BENCH_BAKE_S ?? '30' },
      'revert-devices': { type: 'string', default: env.BENCH_REVERT_DEVICES ?? '2000' },
      'unhealthy-share': { type: 'string', default: env.BENCH_UNHEALTHY_SHARE ?? '0.3' },
    },
  });
  const unhealthyShare = Number(values['unhealthy-share']);
  if (!(unhealthyShare > 0 && unhealthyShare <= 1)) throw new Error(`--unhealthy-share: expected above 0 and at most 1, got '${values['unhealthy-share']}'`);
  const sizes = list(values.devices!, '--devices');
  // The simulator's own cap: every device is an MQTT connection of this process (plus a download while in flight).
  if (sizes.some((n) => n < 1 || n > 20_000)) throw new Error('--devices: each size from 1 to 20000');
  const failRate = Number(values['fail-rate']);
  if (!(failRate >= 0 && failRate <= 1)) throw new Error(`--fail-rate: expected 0 to 1, got '${values['fail-rate']}'`);
  return {
    sizes,
    waves: list(values.waves!, '--waves'),
    maxInFlight: positive(values['max-in-flight']!, '--max-in-flight'),
    artifactBytes: Math.round(positive(values['artifact-kb']!, '--artifact-kb') * 1024),
    installTime: parseRange(values['install-ms']!, '--install-ms'),
    rebootTime: parseRange(values['reboot-ms']!, '--reboot-ms'),
    failRate,
    connectRate: positive(values['connect-rate']!, '--connect-rate'),
    timeoutSeconds: positive(values.timeout!, '--timeout'),
    health: values.health
      ? { bakeSeconds: positive(values.bake!, '--bake', 0), revertDevices: positive(values['revert-devices']!, '--revert-devices'), unhealthyShare }
      : null,
  };
}
