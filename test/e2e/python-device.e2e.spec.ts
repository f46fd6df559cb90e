import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Mosquitto, startMosquitto } from '../support/mosquitto';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { type TestDatabase, createTestDatabase } from '../support/test-database';

const PYTHON = '/usr/bin/python3';
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'python-device', 'edgefleet_device.py');

/**
 * The Python example device (examples/python-device), on Debian's python3-paho-mqtt, against
 * the real server process: a client nobody here wrote a line of library for.
 */
describe('examples/python-device against the real server', () => {
  const dir = scratchDir('edgefleet-python-');
  const token = `efk_${randomBytes(24).toString('hex')}`;
  let server: ServerProcess;
  let http: string;
  let device: ChildProcess | undefined;
  let deviceOutput = '';

  beforeAll(async () => {
    const probe = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import paho.mqtt (${(probe.error?.message ?? probe.stderr).trim()}); ` +
          'install Debian\'s python3-paho-mqtt (apt-get install python3-paho-mqtt), as .ci/run does',
      );
    }
    server = ServerProcess.spawn({ FLEET_DATA_DIR: dir, FLEET_ADMIN_TOKEN: token, ROLLOUT_TICK_MS: '50' });
    http = (await server.ready()).http;
  });
  afterAll(async () => {
    if (device && device.exitCode === null) device.kill('SIGKILL');
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${http}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  it('registers through the API, connects, reports state, follows desired state and completes a config job', async () => {
    const mqtt = (await server.ready()).mqtt!;
    device = spawn(PYTHON, [EXAMPLE], {
      env: {
        PATH: process.env.PATH,
        EDGEFLEET_URL: http,
        EDGEFLEET_TOKEN: token,
        EDGEFLEET_MQTT_URL: mqtt,
        DEVICE_ID: 'py-e2e-1',
        DEVICE_TYPE: 'python',
        CREDENTIALS_FILE: join(dir, 'py-e2e-1.credentials.json'),
        EXIT_AFTER_JOBS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    device.stdout!.on('data', (chunk) => (deviceOutput += chunk));
    device.stderr!.on('data', (chunk) => (deviceOutput += chunk));
    const exited = new Promise<number | null>((resolve) => device!.once('exit', (code) => resolve(code)));

    const registered = await waitFor(
      () => api('GET', '/api/v1/devices/py-e2e-1'),
      (res) => res.status === 200 && res.body.status === 'online',
      15_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\npython device output:\n${deviceOutput}`);
    });
    expect(registered.body).toMatchObject({ id: 'py-e2e-1', type: 'python', tags: { lang: 'python' } });
    const twin = () => api('GET', '/api/v1/devices/py-e2e-1/twin');
    const reported = await waitFor(twin, (res) => res.body.reported?.firmware?.version === 'py-1.0.0');
    expect(reported.body.reported).toMatchObject({ firmware: { version: 'py-1.0.0' }, uptime: 0 });

    const patched = await api('PATCH', '/api/v1/devices/py-e2e-1/twin/desired', { led: 'green' });
    expect(patched.status).toBe(200);
    const followed = await waitFor(twin, (res) => res.body.reported.led === 'green');
    expect(followed.body.delta).toEqual({});

    const created = await api('POST', '/api/v1/rollouts', {
      name: 'python config',
      type: 'config',
      config: { sampling: { interval: 15 }, mode: 'eco' },
      target: { deviceIds: ['py-e2e-1'] },
      strategy: { deviceTimeoutSeconds: 30, retries: 0 },
    });
    expect(created.status).toBe(201);
    const rollout = await waitFor(
      () => api('GET', `/api/v1/rollouts/${created.body.id}`),
      (res) => ['completed', 'aborted', 'cancelled'].includes(res.body.state),
      20_000,
    );
    expect(rollout.body.state).toBe('completed');
    expect(rollout.body.counts.succeeded).toBe(1);
    const jobs = (await api('GET', `/api/v1/rollouts/${created.body.id}/devices`)).body.items;
    expect(jobs).toEqual([expect.objectContaining({ deviceId: 'py-e2e-1', status: 'succeeded', attempts: 1 })]);
    const applied = await waitFor(twin, (res) => res.body.reported.mode === 'eco');
    expect(applied.body.reported).toMatchObject({ sampling: { interval: 15 }, mode: 'eco', led: 'green' });

    // EXIT_AFTER_JOBS=1: the device leaves by itself once its job is final.
    expect(await exited).toBe(0);
    expect(deviceOutput).toContain('registered py-e2e-1');
    expect(deviceOutput).toContain(`job ${jobs[0].jobId} succeeded`);
    await waitFor(() => api('GET', '/api/v1/devices/py-e2e-1'), (res) => res.body.status === 'offline', 10_000);
  });
});

/**
 * The same example behind an external broker (`BROKER_URL`, a real Mosquitto), where the
 * server learns about the device's connection only from its presence announcements and its
 * Last Will (docs/protocol.md §7).
 */
describe('examples/python-device behind an external broker (real Mosquitto)', () => {
  const dir = scratchDir('edgefleet-python-ext-');
  const token = `efk_${randomBytes(24).toString('hex')}`;
  let mosquitto: Mosquitto;
  let database: TestDatabase;
  let server: ServerProcess;
  let http: string;
  const devices: ChildProcess[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    database = await createTestDatabase();
    server = ServerProcess.spawn({ DATABASE_URL: database.url, FLEET_DATA_DIR: dir, FLEET_ADMIN_TOKEN: token, BROKER_URL: mosquitto.url });
    http = (await server.ready()).http;
  });
  afterAll(async () => {
    for (const device of devices) if (device.exitCode === null) device.kill('SIGKILL');
    await server?.stop();
    await mosquitto?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const statusOf = async (id: string) => {
    const response = await fetch(`${http}/api/v1/devices/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return response.status === 200 ? ((await response.json()) as { status: string }).status : `HTTP ${response.status}`;
  };
  function runDevice(id: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
    let output = '';
    const child = spawn(PYTHON, [EXAMPLE], {
      env: {
        PATH: process.env.PATH,
        EDGEFLEET_URL: http,
        EDGEFLEET_TOKEN: token,
        EDGEFLEET_MQTT_URL: mosquitto.url,
        DEVICE_ID: id,
        CREDENTIALS_FILE: join(dir, `${id}.credentials.json`),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    devices.push(child);
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, output: () => output };
  }

  it('shows online after it connects, offline by its Last Will when killed, and offline by itself when stopped', async () => {
    const first = runDevice('py-ext-1');
    await waitFor(() => statusOf('py-ext-1'), (status) => status === 'online', 15_000).catch((error: Error) => {
      throw new Error(`${error.message}\npython device output:\n${first.output()}`);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor(() => statusOf('py-ext-1'), (status) => status === 'offline', 10_000);

    const second = runDevice('py-ext-1');
    await waitFor(() => statusOf('py-ext-1'), (status) => status === 'online', 15_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await waitFor(() => statusOf('py-ext-1'), (status) => status === 'offline', 10_000);
  });
});
