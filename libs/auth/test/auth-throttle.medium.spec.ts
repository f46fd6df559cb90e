import { TestApp } from '../../../test/support/test-app';

describe('failed bearer tokens throttled per address (real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start({ AUTH_THROTTLE_BURST: '5', AUTH_THROTTLE_PER_MIN: '6' })));
  afterAll(() => t.stop());

  const get = (token: string, remoteAddress: string) =>
    t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/api/v1/devices', headers: { authorization: `Bearer ${token}` }, remoteAddress });
  const metric = async (reason: string) =>
    Number(new RegExp(`edgefleet_http_auth_refused_total\\{reason="${reason}"\\} (\\d+)`).exec((await t.request('GET', '/metrics', undefined, null)).body)?.[1]);

  it('answers 429 with Retry-After once an address has sent too many bad tokens, and only to that address', async () => {
    for (let i = 0; i < 5; i++) expect((await get(`efk_guess-${i}`, '10.0.0.1')).statusCode).toBe(401);
    const throttled = await get('efk_guess-5', '10.0.0.1');
    expect(throttled.statusCode).toBe(429);
    expect(JSON.parse(throttled.body)).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringContaining('bad token') });
    // Refilled at 6 a minute: one more try in 10 s.
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(9);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(10);
    // While throttled, even a good token from that address waits (nothing is looked up for it).
    expect((await get(t.adminToken, '10.0.0.1')).statusCode).toBe(429);
    // Another address is not affected.
    expect((await get(t.adminToken, '10.0.0.2')).statusCode).toBe(200);
    expect((await get('efk_other-guess', '10.0.0.2')).statusCode).toBe(401);
    expect(await metric('bad-token')).toBe(6);
    expect(await metric('throttled')).toBe(2);
  });
});
