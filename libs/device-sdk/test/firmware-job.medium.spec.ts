import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobStatusReport } from '@edgefleet/contracts';
import { DeviceClient, type DeviceClientOptions, type FetchFunction, type FirmwareImage } from '@edgefleet/device-sdk';
import { TestApp } from '../../../test/support/test-app';
import { waitFor } from '../../../test/support/mqtt-device';
import { scratchDir } from '../../../test/support/scratch-dir';
import { firmwareFields, upload } from '../../artifacts/test/support/upload';
import { FAST_ROLLOUTS, waitForRollout } from '../../rollouts/test/support/rollout-fleet';

/**
 * Firmware and config jobs through the SDK against the real server: a real rollout, the
 * real download URL over a listening HTTP socket, the real broker, real Postgres.
 */
describe('device SDK against the real server: firmware and config jobs', () => {
  let t: TestApp;
  let dataDir: string;
  let signingKey: string;
  const clients: DeviceClient[] = [];

  beforeAll(async () => {
    dataDir = scratchDir('edgefleet-sdk-fw-');
    t = await TestApp.start({ FLEET_DATA_DIR: dataDir, ...FAST_ROLLOUTS }, { broker: true });
    // Firmware job documents carry an HTTP URL; the device fetches it from a real socket.
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    signingKey = (await t.request('GET', '/api/v1/signing-key')).body;
    expect(signingKey).toContain('BEGIN PUBLIC KEY');
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await t.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  interface Recorded {
    client: DeviceClient;
    installed: FirmwareImage[];
    statuses: JobStatusReport['status'][];
    fetches: Array<{ range: string | null; status: number }>;
  }

  async function device(id: string, options: Partial<DeviceClientOptions> = {}, fetchOverride?: FetchFunction): Promise<Recorded> {
    const res = await t.request('POST', '/api/v1/devices', { id, type: 'cam' });
    expect(res.status).toBe(201);
    const installed: FirmwareImage[] = [];
    const statuses: JobStatusReport['status'][] = [];
    const fetches: Recorded['fetches'] = [];
    const realFetch = fetchOverride ?? fetch;
    const recordingFetch: FetchFunction = async (input, init) => {
      const response = await realFetch(input, init);
      fetches.push({ range: new Headers(init?.headers).get('range'), status: response.status });
      return response;
    };
    const client = new DeviceClient({
      url: t.broker.mqtt,
      deviceId: id,
      password: res.body.credentials.password,
      firmwareVersion: '1.0.0',
      signingKey,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
      handlers: { install: async (image) => void installed.push(image) },
      ...options,
      downloads: { fetch: recordingFetch, ...options.downloads },
    });
    client.on('job', (_jobId, report) => statuses.push(report.status));
    clients.push(client);
    return { client, installed, statuses, fetches };
  }

  async function firmware(version: string, size = 4096): Promise<{ id: string; sha256: string; content: Buffer }> {
    const content = randomBytes(size);
    const res = await upload(t, firmwareFields(`fw-${version}-${randomBytes(3).toString('hex')}`, version, 'cam'), { content });
    expect(res.status).toBe(201);
    return { id: res.body.id, sha256: res.body.sha256, content };
  }

  async function firmwareRollout(artifactId: string, deviceIds: string[], strategy: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request('POST', '/api/v1/rollouts', {
      name: `sdk ${artifactId}`,
      type: 'firmware',
      artifactId,
      target: { deviceIds },
      strategy: { deviceTimeoutSeconds: 30, retries: 0, ...strategy },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function jobs(rolloutId: string): Promise<Array<{ deviceId: string; status: string; lastError: string | null; attempts: number }>> {
    return (await t.request('GET', `/api/v1/rollouts/${rolloutId}/devices`)).body.items;
  }

  const finished = (r: { state: string }) => ['completed', 'aborted', 'cancelled'].includes(r.state);
  const twin = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}/twin`)).body;

  it('reports health keys for a health gate: afterReboot with the new version, boots counted, reportHealth merged', async () => {
    const fw = await firmware('2.2.0');
    const d = await device('sdk-fw-health', { boots: 4, handlers: { install: async () => undefined, afterReboot: (image) => ({ health: { app: image.artifact.version === '2.2.0' ? 'ok' : 'starting' } }) } });
    await d.client.start();
    const health = { bakeSeconds: 1, checks: [{ path: 'health.app', op: 'eq', value: 'ok' }], minEvaluated: 1, maxUnhealthyPercent: 0, action: 'pause' };
    const response = await t.request('POST', '/api/v1/rollouts', { name: 'sdk health', type: 'firmware', artifactId: fw.id, target: { deviceIds: ['sdk-fw-health'] }, strategy: { health } });
    expect(response.status).toBe(201);
    const rollout = await waitForRollout(t, response.body.id, finished);
    expect(rollout.state).toBe('completed');
    expect(d.client.boots).toBe(5);
    expect((await twin('sdk-fw-health')).reported.health).toEqual({ app: 'ok', boots: 5 });
    d.client.reportHealth({ camera: 'streaming' });
    await waitFor(() => twin('sdk-fw-health'), (tw) => tw.reported.health.camera === 'streaming');
    expect((await twin('sdk-fw-health')).reported.health).toEqual({ app: 'ok', boots: 5, camera: 'streaming' });
  });

  it('downloads a good artifact over HTTP, verifies it, installs it, reboots into it, and the rollout succeeds', async () => {
    const fw = await firmware('2.0.0', 100_000);
    const d = await device('sdk-fw-good');
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-good']);

    const rollout = await waitForRollout(t, rolloutId, finished);
    expect(rollout.state).toBe('completed');
    expect(rollout.counts.succeeded).toBe(1);
    expect(d.installed).toHaveLength(1);
    expect(d.installed[0].data!.equals(fw.content)).toBe(true);
    expect(d.installed[0].artifact).toMatchObject({ id: fw.id, version: '2.0.0', sha256: fw.sha256, size: 100_000 });
    expect(d.fetches.length).toBeGreaterThanOrEqual(1);
    expect(d.fetches[0]).toEqual({ range: null, status: 200 });
    expect(d.statuses).toEqual(expect.arrayContaining(['accepted', 'downloading', 'installing', 'rebooting', 'succeeded']));
    expect(d.statuses.indexOf('installing')).toBeLessThan(d.statuses.indexOf('rebooting'));
    expect(d.client.firmwareVersion).toBe('2.0.0');
    expect((await twin('sdk-fw-good')).reported.firmware).toEqual({ version: '2.0.0' });
    expect((await t.request('GET', '/api/v1/devices/sdk-fw-good')).body).toMatchObject({ firmwareVersion: '2.0.0' });
  });

  it('refuses to install an artifact whose bytes were altered on the server, and reports failed with the reason', async () => {
    const fw = await firmware('2.1.0');
    // Flip bytes in the stored blob: the server still announces the SHA-256 it signed at upload.
    const blob = join(dataDir, 'artifacts', 'blobs', fw.sha256.slice(0, 2), fw.sha256);
    const tampered = Buffer.from(await readFile(blob));
    tampered[100] ^= 0xff;
    tampered[2000] ^= 0x01;
    await writeFile(blob, tampered);

    const d = await device('sdk-fw-tampered');
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-tampered']);
    const rollout = await waitForRollout(t, rolloutId, finished);

    expect(d.installed).toHaveLength(0);
    expect(rollout.counts.failed).toBe(1);
    expect(rollout.counts.succeeded).toBe(0);
    const [job] = await jobs(rolloutId);
    expect(job.status).toBe('failed');
    expect(job.lastError).toMatch(/refused to install: sha256 mismatch/);
    expect(d.statuses).not.toContain('installing');
    expect(d.client.firmwareVersion).toBe('1.0.0');
    expect((await twin('sdk-fw-tampered')).reported.firmware).toEqual({ version: '1.0.0' });
  });

  it('refuses an artifact whose signature does not verify against the key it trusts', async () => {
    const fw = await firmware('2.2.0');
    // The device was provisioned with another fleet's key: the server's signature cannot verify.
    const { publicKey } = generateKeyPairSync('ed25519');
    const d = await device('sdk-fw-badsig', { signingKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-badsig']);
    await waitForRollout(t, rolloutId, finished);

    expect(d.installed).toHaveLength(0);
    const [job] = await jobs(rolloutId);
    expect(job.status).toBe('failed');
    expect(job.lastError).toMatch(/refused to install: signature verification failed/);
  });

  it('resumes a download cut half way with a Range request, and installs the whole image', async () => {
    const fw = await firmware('2.3.0', 256 * 1024);
    let cut = false;
    // The first response's body breaks after ~100 KB, as a dropped network connection would.
    const cuttingFetch: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      if (cut || !response.body) return response;
      cut = true;
      const reader = response.body.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await reader.read();
          if (done) return controller.close();
          if (sent >= 100_000) {
            await reader.cancel();
            return controller.error(new Error('connection reset'));
          }
          sent += value.byteLength;
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const d = await device('sdk-fw-resume', {}, cuttingFetch);
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-resume']);
    const rollout = await waitForRollout(t, rolloutId, finished);

    expect(rollout.counts.succeeded).toBe(1);
    expect(d.fetches).toHaveLength(2);
    expect(d.fetches[0]).toEqual({ range: null, status: 200 });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(d.fetches[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(100_000);
    expect(resumedAt).toBeLessThan(256 * 1024);
    expect(d.fetches[1].status).toBe(206);
    expect(d.installed[0].data!.equals(fw.content)).toBe(true);
  });

  it('keeps working on its job across a dropped connection, and the job completes', async () => {
    const fw = await firmware('2.4.0');
    let releaseInstall!: () => void;
    const installing = new Promise<void>((resolve) => (releaseInstall = resolve));
    let installStarted!: () => void;
    const started = new Promise<void>((resolve) => (installStarted = resolve));
    const installed: string[] = [];
    const d = await device('sdk-fw-drop', {
      handlers: {
        install: async (image) => {
          installStarted();
          await installing;
          installed.push(image.artifact.version);
        },
      },
    });
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-drop']);
    await started;

    const back = new Promise<void>((resolve) => d.client.once('online', () => resolve()));
    d.client.dropConnection();
    await back;
    // On reconnect the server sends the job in flight again; the SDK carries on with the one it has.
    await waitFor(() => jobs(rolloutId), ([job]) => job.status === 'installing');
    releaseInstall();

    const rollout = await waitForRollout(t, rolloutId, finished);
    expect(rollout.counts.succeeded).toBe(1);
    expect(installed).toEqual(['2.4.0']);
    const [job] = await jobs(rolloutId);
    expect(job.attempts).toBe(1);
  });

  it('powered off mid-download, a new client with the same storage gets the job again, resumes from its file and completes', async () => {
    const fw = await firmware('2.5.0', 300 * 1024);
    const storage = { dir: join(dataDir, 'device-storage') };
    const res = await t.request('POST', '/api/v1/devices', { id: 'sdk-fw-power', type: 'cam' });
    const password: string = res.body.credentials.password;
    let firstBytes = 0;
    // The first "boot" is slow: each chunk of the body is delayed, so the download is in progress when the power goes.
    const slowFetch: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
          if (done) return controller.close();
          firstBytes += value.byteLength;
          controller.enqueue(value);
        },
        cancel: () => reader.cancel(),
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const base: DeviceClientOptions = {
      url: t.broker.mqtt,
      deviceId: 'sdk-fw-power',
      password,
      firmwareVersion: '1.0.0',
      signingKey,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    };
    const first = new DeviceClient({ ...base, handlers: { install: async () => undefined }, downloads: { storage, fetch: slowFetch } });
    clients.push(first);
    await first.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-power']);
    await waitFor(() => firstBytes, (bytes) => bytes >= 64 * 1024, 10_000);
    await first.stop();
    const kept = (await readFile(join(storage.dir, `${fw.id}.part`))).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(fw.content.length);

    const ranges: Array<string | null> = [];
    const installed: Buffer[] = [];
    const second = new DeviceClient({
      ...base,
      handlers: { install: async (image) => void installed.push(await readFile(image.path!)) },
      downloads: {
        storage,
        fetch: async (input, init) => {
          ranges.push(new Headers(init?.headers).get('range'));
          return fetch(input, init);
        },
      },
    });
    clients.push(second);
    await second.start();
    const rollout = await waitForRollout(t, rolloutId, finished);

    expect(rollout.counts.succeeded).toBe(1);
    expect(ranges[0]).toBe(`bytes=${kept}-`);
    expect(installed).toHaveLength(1);
    expect(installed[0].equals(fw.content)).toBe(true);
    expect(second.firmwareVersion).toBe('2.5.0');
  });

  it('stopped while rebooting, it stays off; started again, it comes back on the new version and the job succeeds', async () => {
    const fw = await firmware('2.5.1');
    let releaseReboot!: () => void;
    const rebooting = new Promise<void>((resolve) => (releaseReboot = resolve));
    const d = await device('sdk-fw-reboot-off', { handlers: { install: async () => undefined, reboot: () => rebooting } });
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-reboot-off']);
    await waitFor(() => d.statuses, (statuses) => statuses.includes('rebooting'), 10_000);

    await d.client.stop();
    releaseReboot();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(d.client.online).toBe(false);
    expect(d.statuses).not.toContain('succeeded');
    expect((await jobs(rolloutId))[0].status).toBe('rebooting');

    await d.client.start();
    const rollout = await waitForRollout(t, rolloutId, finished);
    expect(rollout.counts.succeeded).toBe(1);
    expect(d.client.firmwareVersion).toBe('2.5.1');
    expect((await twin('sdk-fw-reboot-off')).reported.firmware).toEqual({ version: '2.5.1' });
  });

  it('downloads over MQTT chunks when HTTP is off, and the rollout succeeds', async () => {
    const fw = await firmware('2.6.0', 150_000);
    const d = await device('sdk-fw-mqtt', { downloads: { http: false, chunkSize: 16 * 1024 } });
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-mqtt']);
    const rollout = await waitForRollout(t, rolloutId, finished);

    expect(rollout.counts.succeeded).toBe(1);
    expect(d.fetches).toHaveLength(0);
    expect(d.installed).toHaveLength(1);
    expect(d.installed[0].data!.equals(fw.content)).toBe(true);
    expect(d.statuses.filter((status) => status === 'downloading').length).toBeGreaterThan(1);
  });

  it('carries on an MQTT chunk download from where it was after the connection drops', async () => {
    const fw = await firmware('2.6.1', 200_000);
    // A long chunk timeout: resuming must not wait for it after a reconnect.
    const d = await device('sdk-fw-mqtt-drop', { downloads: { http: false, chunkSize: 8 * 1024, chunkTimeoutMs: 20_000 } });
    const progress: number[] = [];
    d.client.on('job', (_jobId, report) => report.status === 'downloading' && progress.push(report.progress ?? 0));
    await d.client.start();
    const rolloutId = await firmwareRollout(fw.id, ['sdk-fw-mqtt-drop']);
    await waitFor(() => progress, (seen) => seen.some((percent) => percent >= 20), 10_000);

    const dropped = Date.now();
    d.client.dropConnection();
    const rollout = await waitForRollout(t, rolloutId, finished, 15_000);
    expect(rollout.counts.succeeded).toBe(1);
    expect(Date.now() - dropped).toBeLessThan(10_000);
    expect(d.installed[0].data!.equals(fw.content)).toBe(true);
  });

  it('applies a config job, reports the applied config, and the rollout succeeds', async () => {
    const applied: unknown[] = [];
    const d = await device('sdk-config-1', {
      state: { sampling: { interval: 60 } },
      handlers: {
        applyConfig: (config) => {
          applied.push(config);
          return config;
        },
      },
    });
    await d.client.start();
    const res = await t.request('POST', '/api/v1/rollouts', {
      name: 'sdk config',
      type: 'config',
      config: { sampling: { interval: 15 }, mode: 'eco' },
      target: { deviceIds: ['sdk-config-1'] },
      strategy: { deviceTimeoutSeconds: 30, retries: 0 },
    });
    expect(res.status).toBe(201);
    const rollout = await waitForRollout(t, res.body.id, finished);

    expect(rollout.state).toBe('completed');
    expect(rollout.counts.succeeded).toBe(1);
    expect(applied).toEqual([{ sampling: { interval: 15 }, mode: 'eco' }]);
    const tw = await waitFor(() => twin('sdk-config-1'), (value) => value.reported.mode === 'eco');
    expect(tw.reported.sampling).toEqual({ interval: 15 });
    expect(tw.desired).toMatchObject({ sampling: { interval: 15 }, mode: 'eco' });
    expect(tw.delta).toEqual({});
    expect(d.statuses).toEqual(expect.arrayContaining(['accepted', 'installing', 'succeeded']));
  });

  it('fails a config job the device cannot apply, with its reason', async () => {
    const d = await device('sdk-config-2', {
      handlers: {
        applyConfig: () => {
          throw new Error('mode "turbo" is not supported');
        },
      },
    });
    await d.client.start();
    const res = await t.request('POST', '/api/v1/rollouts', {
      name: 'sdk config bad',
      type: 'config',
      config: { mode: 'turbo' },
      target: { deviceIds: ['sdk-config-2'] },
      strategy: { deviceTimeoutSeconds: 30, retries: 0 },
    });
    const rollout = await waitForRollout(t, res.body.id, finished);
    expect(rollout.counts.failed).toBe(1);
    const [job] = await jobs(res.body.id);
    expect(job.lastError).toMatch(/config not applied: mode "turbo" is not supported/);
    expect((await twin('sdk-config-2')).reported.mode).toBeUndefined();
  });
});
