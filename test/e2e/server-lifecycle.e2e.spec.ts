import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connackCode, connectDevice, waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('fleet server process (embedded Postgres, port 0)', () => {
  const dataDir = scratchDir('edgefleet-e2e-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on embedded defaults, prints a one-time admin token, serves, and stops cleanly with data kept', async () => {
    const first = ServerProcess.spawn({ FLEET_DATA_DIR: dataDir });
    const ready = await first.ready();
    expect(ready.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.http).not.toMatch(/:3000$/);
    expect(ready.mqtt).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    expect(ready.mqtts).toBeUndefined();
    const token = /EDGEFLEET_ADMIN_TOKEN (\S+)/.exec(first.stdout)?.[1];
    expect(token).toBeDefined();

    const health = await fetch(`${ready.http}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { db: { status: string } }).db.status).toBe('up');

    const created = await api(ready.http, token!, 'POST', '/api/v1/devices', { id: 'e2e-1', type: 'cam', tags: { site: 'syd' } });
    expect(created.status).toBe(201);
    expect(created.body.credentials.password).toEqual(expect.any(String));
    expect((await api(ready.http, 'efk_nope', 'GET', '/api/v1/devices')).status).toBe(401);
    const device = await connectDevice(ready.mqtt!, { id: 'e2e-1', password: created.body.credentials.password });
    const online = () => api(ready.http, token!, 'GET', '/api/v1/devices?status=online').then((r) => r.body.items.map((d: { id: string }) => d.id));
    await waitFor(online, (ids) => ids.length === 1);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(device.connected).toBe(false);

    const second = ServerProcess.spawn({ FLEET_DATA_DIR: dataDir });
    const again = await second.ready();
    expect(second.stdout).not.toContain('EDGEFLEET_ADMIN_TOKEN');
    const list = await api(again.http, token!, 'GET', '/api/v1/devices?tag=site:syd');
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual(['e2e-1']);
    // Shut down with the device connected: it was written offline on the way out.
    expect(list.body.items[0].status).toBe('offline');
    expect(await connackCode(again.mqtt!, { clientId: 'e2e-1', username: 'e2e-1', password: 'wrong' })).toBe(4);
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it.each([
    [{ HTTP_PORT: 'eighty' }, 'HTTP_PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ MQTT_MAX_PACKET_BYTES: 'lots' }, 'MQTT_MAX_PACKET_BYTES'],
    [{ BROKER_URL: 'mqtt://broker.example:1883' }, 'BROKER_URL'],
  ])('exits non-zero with one line naming the bad setting %p', async (env, variable) => {
    const server = ServerProcess.spawn({ FLEET_DATA_DIR: dataDir, ...env });
    expect(await server.exit()).not.toBe(0);
    const lines = server.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });

  it.each(['MQTT_PORT', 'MQTT_WS_PORT'])('exits with one line naming %s when that port is taken', async (variable) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const server = ServerProcess.spawn({ FLEET_DATA_DIR: dataDir, [variable]: String(port) });
      expect(await server.exit()).not.toBe(0);
      const lines = server.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${variable}: port ${port}`);
    } finally {
      blocker.close();
    }
  });
});
