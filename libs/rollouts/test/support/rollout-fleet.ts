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

/**
 * Waits until every device is online and its firmware report has reached the registry, so
 * its turn finds it connected and success can be confirmed.
 */
export async function waitForFirmware(t: TestApp, devices: JobDevice[], version = '1.0.0'): Promise<void> {
  await waitFor(
    () => t.request('GET', `/api/v1/devices?firmware=${version}&status=online&limit=1000`),
    (r) => devices.every((device) => r.body.items.some((item: { id: string }) => item.id === device.id)),
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

/** POST /api/v1/rollouts; throws with the answer unless it was created. */
export async function createRollout(t: TestApp, body: object): Promise<any> {
  const response = await t.request('POST', '/api/v1/rollouts', body);
  if (response.status !== 201) throw new Error(`create rollout: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Every job of a rollout as GET /rollouts/{id}/devices lists them (all pages), by device id. */
export async function rolloutJobs(t: TestApp, id: string, query = ''): Promise<Map<string, any>> {
  const jobs = new Map<string, any>();
  let cursor: string | null = null;
  do {
    const response: { status: number; body: any } = await t.request('GET', `/api/v1/rollouts/${id}/devices?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`);
    if (response.status !== 200) throw new Error(`rollout devices: ${response.status} ${JSON.stringify(response.body)}`);
    for (const job of response.body.items) jobs.set(job.deviceId, job);
    cursor = response.body.nextCursor;
  } while (cursor);
  return jobs;
}

/** A firmware rollout body to these devices, with a strategy override. */
export function firmwareRollout(name: string, artifactId: string, deviceIds: string[], strategy: object = {}, extra: object = {}): object {
  return { name, type: 'firmware', artifactId, target: { deviceIds }, strategy, ...extra };
}

/** The most devices that were working on a job at once, as the devices saw it (document received → success reported). */
export function peakInFlight(devices: JobDevice[]): number {
  const spans = devices.flatMap((d) => d.documents.map((doc) => [doc.at, d.succeededAt.get(doc.jobId) ?? Number.POSITIVE_INFINITY]));
  return Math.max(0, ...spans.map(([start]) => spans.filter(([from, to]) => from <= start && start < to).length));
}
