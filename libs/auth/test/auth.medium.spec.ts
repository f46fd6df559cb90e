import { ApiKeyService } from '../src/api-key.service';
import { TestApp } from '../../../test/support/test-app';

describe('API auth and roles (real Postgres)', () => {
  let t: TestApp;
  let operator: string;
  let viewer: string;
  beforeAll(async () => {
    t = await TestApp.start();
    operator = await t.tokenFor('operator');
    viewer = await t.tokenFor('viewer');
  });
  afterAll(() => t.stop());

  it('401s a missing or wrong token, with the contract error shape', async () => {
    const missing = await t.request('GET', '/api/v1/devices', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'missing bearer token' });
    expect((await t.request('GET', '/api/v1/devices', undefined, 'efk_wrong')).status).toBe(401);
  });

  it('lets a viewer read but not write (403), and writes nothing', async () => {
    expect((await t.request('GET', '/api/v1/devices', undefined, viewer)).status).toBe(200);
    const res = await t.request('POST', '/api/v1/devices', { id: 'v-1', type: 'cam' }, viewer);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('Forbidden');
    expect((await t.request('GET', '/api/v1/devices/v-1')).status).toBe(404);
  });

  it('lets an operator manage devices but not API keys', async () => {
    expect((await t.request('POST', '/api/v1/devices', { id: 'o-1', type: 'cam' }, operator)).status).toBe(201);
    expect((await t.request('POST', '/api/v1/api-keys', { name: 'x', role: 'viewer' }, operator)).status).toBe(403);
    expect((await t.request('GET', '/api/v1/api-keys', undefined, operator)).status).toBe(403);
  });

  it('admin creates keys (token shown once), lists them without tokens, and revokes them', async () => {
    const created = await t.request('POST', '/api/v1/api-keys', { name: 'ci', role: 'operator' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', role: 'operator', token: expect.stringMatching(/^efk_/) });
    const token = created.body.token;
    expect((await t.request('GET', '/api/v1/devices', undefined, token)).status).toBe(200);
    const list = await t.request('GET', '/api/v1/api-keys');
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.items.some((k: { id: string }) => k.id === created.body.id)).toBe(true);
    expect((await t.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(200);
    expect((await t.request('GET', '/api/v1/devices', undefined, token)).status).toBe(401);
    expect((await t.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(409);
  });

  it.each([
    [{ name: 'x', role: 'root' }, 'role'],
    [{ role: 'viewer' }, 'name'],
    [{ name: 'x', role: 'viewer', extra: 1 }, 'extra'],
  ])('400s a bad key request %p', async (body, field) => {
    const res = await t.request('POST', '/api/v1/api-keys', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(field);
  });

  it('serves health, metrics and the OpenAPI document without a token', async () => {
    const health = await t.request('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', db: { status: 'up' } });
    const metrics = await t.request('GET', '/metrics', undefined, null);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('edgefleet_http_requests_total');
    expect(metrics.body).toMatch(/edgefleet_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/devices"/);
    const docs = await t.request('GET', '/docs-json', undefined, null);
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/api/v1/devices', '/api/v1/devices/batch', '/api/v1/groups', '/api/v1/api-keys', '/api/v1/audit']));
    expect((await t.request('GET', '/docs', undefined, null)).status).toBe(200);
  });

  it('answers malformed JSON with 400 in the contract shape', async () => {
    const res = await t.app.getHttpAdapter().getInstance().inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      payload: '{"type": ',
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('registers FLEET_ADMIN_TOKEN once when several servers bootstrap it at the same moment, as cluster nodes starting together do', async () => {
    const token = 'efk_bootstrap-race-test-token-0001';
    const service = t.app.get(ApiKeyService);
    expect(await Promise.all([1, 2, 3, 4].map(() => service.bootstrapAdmin(token)))).toEqual([null, null, null, null]);
    const keys = await t.request('GET', '/api/v1/api-keys?limit=100');
    expect(keys.body.items.filter((key: { name: string }) => key.name === 'bootstrap admin (FLEET_ADMIN_TOKEN)')).toEqual([expect.objectContaining({ role: 'admin', prefix: token.slice(0, 12) })]);
    expect((await t.request('GET', '/api/v1/devices', undefined, token)).status).toBe(200);
  });
});
