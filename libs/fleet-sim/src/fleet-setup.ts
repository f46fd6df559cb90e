import { randomBytes } from 'node:crypto';
import { CredentialsStore } from './credentials-store';
import { type DeviceLogin, FleetApi } from './fleet-api';

export interface FleetSetup {
  logins: DeviceLogin[];
  registered: number;
  reused: number;
}

/**
 * The credentials for `count` devices of `type`: those kept from an earlier run against the
 * same server (if that server still knows them), plus new registrations in batches of
 * 10,000. Kept credentials are checked by looking up the first device: a server whose
 * database was reset answers 404 and the file is started over.
 */
export async function prepareFleet(
  api: FleetApi,
  store: CredentialsStore,
  type: string,
  count: number,
  log: (line: string) => void,
  /** Which server the kept credentials belong to; default its URL (the demo's server changes port every run, so it names its data folder). */
  serverId = api.baseUrl,
): Promise<FleetSetup> {
  let kept = await store.load(serverId, type);
  if (kept.length && !(await api.deviceExists(kept[0].id))) {
    log(`the server no longer knows the kept devices (${kept[0].id}); registering new ones`);
    kept = [];
  }
  const missing = Math.max(0, count - kept.length);
  let fresh: DeviceLogin[] = [];
  if (missing > 0) {
    const run = randomBytes(3).toString('hex');
    const width = String(count).length;
    const devices = Array.from({ length: missing }, (_, i) => ({
      id: `sim-${type}-${run}-${String(kept.length + i + 1).padStart(width, '0')}`,
      type,
      tags: { fleet: 'sim' },
    }));
    const started = Date.now();
    fresh = await api.registerDevices(devices);
    log(`registered ${fresh.length} devices in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await store.save(serverId, type, [...kept, ...fresh]);
  }
  const reused = Math.min(kept.length, count);
  if (reused) log(`reusing ${reused} devices kept from an earlier run`);
  return { logins: [...kept.slice(0, count), ...fresh], registered: fresh.length, reused };
}
