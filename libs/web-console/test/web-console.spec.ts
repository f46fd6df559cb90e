import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerWebConsole } from '@edgefleet/web-console';
import { scratchDir } from '../../../test/support/scratch-dir';

describe('web console serving (real Fastify, a built console on disk)', () => {
  let app: FastifyInstance;
  const js = 'console.log("console")';
  beforeAll(async () => {
    const dir = scratchDir('edgefleet-web-console-');
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), js);
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(js));
    app = Fastify();
    await registerWebConsole(app, dir);
    await app.ready();
  });
  afterAll(() => app.close());

  it('redirects / to the console', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/');
  });

  it.each(['/console', '/console/', '/console/devices', '/console/devices/cam-1', '/console/rollouts/abc?x=1'])('serves index.html at %s with a same-origin CSP, not cached', async (url) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<title>console</title>');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'self'/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('sends hashed assets precompressed and cached for a year', async () => {
    const res = await app.inject({ url: '/console/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.rawPayload).toEqual(gzipSync(js));
    const plain = await app.inject({ url: '/console/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(js);
  });

  it('says plainly when the console is not built', async () => {
    const bare = Fastify();
    await registerWebConsole(bare, null);
    const res = await bare.inject({ url: '/console/devices' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.close();
  });
});
