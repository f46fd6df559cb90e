import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../support/mqtt-device';
import { ServerProcess } from '../support/server-process';
import { Operator } from './support/operator';
import { spawnedServers } from './support/spawned-servers';

const BOUNDARY = 'edgefleet-e2e-boundary';
const tokenOf = (server: ServerProcess): string | undefined => /EDGEFLEET_ADMIN_TOKEN (\S+)/.exec(server.stdout)?.[1];

/** A multipart upload whose file bytes the test sends when it chooses: the request stays in flight meanwhile. */
function streamingUpload(base: string, token: string, version: string) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = field('name', `fw-inflight-${version}`) + field('version', version) + field('deviceTypes', 'cam');
  const response = fetch(`${base}/api/v1/artifacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: 'half',
  } as RequestInit);
  return {
    response,
    send: (text: string | Buffer) => controller.enqueue(typeof text === 'string' ? Buffer.from(text) : text),
    start: () => controller.enqueue(Buffer.from(`${head}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="fw.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`)),
    finish: () => {
      controller.enqueue(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
      controller.close();
    },
  };
}

describe('server lifecycle: shutdown drains, start cleans up and keeps the admin token', () => {
  const { dataDir, spawn, killAll } = spawnedServers('edgefleet-life-');

  it('SIGTERM lets an upload in flight finish and store before Postgres stops', async () => {
    const dir = dataDir();
    const server = spawn({ FLEET_DATA_DIR: dir, LOG_LEVEL: 'info' });
    const { http } = await server.ready();
    const token = tokenOf(server)!;
    const upload = streamingUpload(http, token, '9.9.9');
    upload.start();
    upload.send(Buffer.alloc(256 * 1024, 7));
    await waitFor(() => readdirSync(join(dir, 'artifacts', 'tmp')), (names) => names.some((name) => name.endsWith('.part')));

    void server.stop('SIGTERM');
    await waitFor(() => server.stdout, (out) => out.includes('SIGTERM: shutting down'));
    upload.send(Buffer.alloc(256 * 1024, 8));
    upload.finish();
    const response = await upload.response;
    const created = (await response.json()) as { id: string; size: number };
    expect(response.status).toBe(201);
    expect(created.size).toBe(512 * 1024);
    expect(await server.exit()).toBe(0);

    const again = spawn({ FLEET_DATA_DIR: dir });
    const restarted = await again.ready();
    const stored = await new Operator(restarted.http, token).request('GET', `/api/v1/artifacts/${created.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.size).toBe(512 * 1024);
  });

  it('removes partial uploads left by an earlier run when it starts', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'artifacts', 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'artifacts', 'tmp', 'cut-short.part'), Buffer.alloc(64 * 1024));
    const server = spawn({ FLEET_DATA_DIR: dir });
    await server.ready();
    expect(readdirSync(join(dir, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('a first start that fails on a port in use makes no admin token; the next start prints it', async () => {
    const dir = dataDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const failed = spawn({ FLEET_DATA_DIR: dir, HTTP_PORT: String(port) });
      expect(await failed.exit()).toBe(2);
      expect(failed.stderr.trim()).toBe(`EdgeFleet: bad setting HTTP_PORT: port ${port} on 127.0.0.1 is already in use`);
      expect(failed.stdout).not.toContain('EDGEFLEET_ADMIN_TOKEN');
    } finally {
      blocker.close();
    }
    const server = spawn({ FLEET_DATA_DIR: dir });
    const { http } = await server.ready();
    const token = tokenOf(server);
    expect(token).toBeDefined();
    expect((await new Operator(http, token!).request('GET', '/api/v1/devices')).status).toBe(200);
  });

  // A real full disk: a 1 MiB tmpfs where uploads are staged (needs root, as the embedded-Postgres tests do).
  const mountable = spawnSync('mount', ['--version']).status === 0 && process.getuid?.() === 0;
  (mountable ? it : it.skip)('a disk-full upload is 507 with a clear message, and /health warns of low space', async () => {
    const dir = dataDir();
    const tmp = join(dir, 'artifacts', 'tmp');
    mkdirSync(tmp, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tmp]).status).toBe(0);
    try {
      const server = spawn({ FLEET_DATA_DIR: dir, FLEET_DISK_MIN_FREE_MB: '2' });
      const { http } = await server.ready();
      const token = tokenOf(server)!;
      const form = new FormData();
      form.append('name', 'too-big');
      form.append('version', '1.0.0');
      form.append('deviceTypes', 'cam');
      form.append('file', new Blob([Buffer.alloc(2 * 1024 * 1024, 1)]), 'fw.bin');
      const response = await fetch(`${http}/api/v1/artifacts`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      const body = (await response.json()) as { statusCode: number; message: string };
      expect(response.status).toBe(507);
      expect(body.message).toContain('disk is full');
      expect(response.headers.get('connection')).toBe('close');
      expect(readdirSync(tmp)).toEqual([]);
      expect((await new Operator(http, token).request('GET', '/api/v1/artifacts')).body.items).toEqual([]);

      const health = await fetch(`${http}/health`);
      const report = (await health.json()) as { status: string; warnings?: string[]; disk: { path: string; freeBytes: number } };
      expect(health.status).toBe(200);
      expect(report.disk.path).toBe(tmp);
      expect(report.warnings).toEqual([expect.stringContaining(`low disk space`)]);
    } finally {
      await killAll();
      spawnSync('umount', [tmp]);
    }
  });
});
