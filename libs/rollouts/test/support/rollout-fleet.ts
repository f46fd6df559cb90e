import { randomBytes } from 'node:crypto';
import type { TestApp } from '../../../../test/support/test-app';
import { waitFor } from '../../../../test/support/mqtt-device';
import { firmwareFields, upload } from '../../../artifacts/test/support/upload';
import { type JobDeviceOptions, JobDevice } from './job-device';

/** Scheduler settings small enough for tests to see timeouts and retries in seconds. */
export const FAST_ROLLOUTS = { ROLLOUT_TICK_MS: '50', ROLLOUT_RETRY_BACKOFF_MS: '100', ROLLOUT_RETRY_BACKOFF_MAX_MS: '400' };

export interface NewDevice {
  id: string;
  type?: string;
  tags?: Record<string, string>;
}

/** Registers devices in one batch; returns their passwords by id. */
export async function registerDevices(t: TestApp, devices: NewDevice[]): Promise<Map<string, string>> {
  const response = await t.request('POST', '/api/v1/devices/batch', { devices: devices.map((d) => ({ type: 'cam', ...d })) });
  if (response.status !== 201) throw new Error(`batch registration: ${response.status} ${JSON.stringify(response.body)}`);
  return new Map(response.body.devices.map((d: { id: string; credentials: { password: string } }) => [d.id, d.credentials.password]));
}

export async function connectFleet(t: TestApp, devices: NewDevice[], options: JobDeviceOptions | ((id: string) => JobDeviceOptions) = {}): Promise<JobDevice[]> {
  const passwords = await registerDevices(t, devices);
  return Promise.all(
    devices.map((d) => new JobDevice(d.id, passwords.get(d.id)!, typeof options === 'function' ? options(d.id) : options).connect(t.broker.mqtt)),
  );
}

/** Waits until every device's firmware report has reached the registry, so success can be confirmed. */
export async function waitForFirmware(t: TestApp, devices: JobDevice[], version = '1.0.0'): Promise<void> {
  await waitFor(
    () => t.request('GET', `/api/v1/devices?firmware=${version}&limit=1000`),
    (r) => r.body.items.length >= devices.length,
    10_000,
  );
}

export async function uploadFirmware(t: TestApp, version: string, deviceTypes = 'cam'): Promise<{ id: string; version: string }> {
  const response = await upload(t, firmwareFields(`fw-${version}-${randomBytes(3).toString('hex')}`, version, deviceTypes), { content: randomBytes(2048) });
  if (response.status !== 201) throw new Error(`artifact upload: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id, version };
}

export function ids(prefix: string, count: number, extra: Omit<NewDevice, 'id'> = {}): NewDevice[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${String(i).padStart(3, '0')}`, ...extra }));
}

export async function waitForRollout(t: TestApp, id: string, accept: (rollout: any) => boolean, timeoutMs = 20_000): Promise<any> {
  return (await waitFor(() => t.request('GET', `/api/v1/rollouts/${id}`), (r) => r.status === 200 && accept(r.body), timeoutMs)).body;
}

export async function closeAll(devices: JobDevice[]): Promise<void> {
  await Promise.all(devices.map((d) => d.disconnect().catch(() => undefined)));
}
