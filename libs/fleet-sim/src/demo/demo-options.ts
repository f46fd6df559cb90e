import { parseArgs } from 'node:util';

export interface DemoOptions {
  devices: number;
  /** Shut down as soon as the rollout has finished, instead of waiting for Ctrl-C. */
  exitWhenDone: boolean;
}

export const DEMO_USAGE = `npm run demo -- [options]

Starts EdgeFleet (embedded Postgres and broker, in a temporary FLEET_DATA_DIR unless you set
one), a simulated fleet, and a three-wave firmware rollout with a progress bar.

  --devices N   simulated devices (1 to 20000; default 1000)
  --exit        shut down when the rollout has finished (default when not on a terminal);
                otherwise the server keeps running for you to look around until Ctrl-C

Ports come from HTTP_PORT, MQTT_PORT and MQTT_WS_PORT; unset, any free port is used.
`;

export function parseDemoArgs(argv: string[], interactive: boolean): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { devices: { type: 'string', default: '1000' }, exit: { type: 'boolean', default: false } },
  });
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1 || devices > 20_000) throw new Error(`--devices: expected a whole number from 1 to 20000, got '${values.devices}'`);
  return { devices, exitWhenDone: values.exit! || !interactive };
}
