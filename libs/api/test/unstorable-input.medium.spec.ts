import { TestApp } from '../../../test/support/test-app';

/**
 * Issue #15 item 10: NUL, lone surrogates, `1e999` and 100,000-deep JSON in REST input were
 * 500s or stored changed. Each is a 400 naming the field, and nothing changes.
 */
describe('REST input Postgres or JSON cannot hold (real app, real Postgres)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await t.registerDevice('keep-1');
  });
  afterAll(() => t.stop());

  const raw = async (method: string, url: string, body: string, type = 'application/json') => {
    const response = await t.app.getHttpAdapter().getInstance().inject({
      method: method as 'POST',
      url,
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': type },
      payload: body,
    });
    return { status: response.statusCode, body: JSON.parse(response.body) as { message: string } };
  };
  const snapshot = async () => JSON.stringify([(await t.request('GET', '/api/v1/devices?limit=1000')).body.items, (await t.request('GET', '/api/v1/devices/keep-1/twin')).body]);

  it.each([
    ['NUL in a value', 'POST', '/api/v1/devices', '{"type":"cam","name":"a\\u0000b"}', 'body.name: contains U+0000 (NUL)'],
    ['a lone surrogate in a value', 'POST', '/api/v1/devices', '{"type":"cam","tags":{"site":"\\ud800"}}', 'body.tags.site: contains a lone UTF-16 surrogate'],
    ['a lone surrogate in a key', 'PATCH', '/api/v1/devices/keep-1', '{"tags":{"k\\udc00":"v"}}', 'body.tags: has a key that contains a lone UTF-16 surrogate'],
    ['NUL in one device of a batch', 'POST', '/api/v1/devices/batch', '{"devices":[{"type":"cam"},{"type":"cam\\u0000"}]}', 'body.devices[1].type: contains U+0000 (NUL)'],
    ['1e999', 'PATCH', '/api/v1/devices/keep-1/twin/desired', '{"limit":1e999}', 'body.limit: is not a finite number'],
    ['100,000-deep objects', 'PATCH', '/api/v1/devices/keep-1/twin/desired', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 'is nested deeper than 64 levels'],
    ['100,000-deep arrays', 'POST', '/api/v1/devices', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'body[0][0]'],
  ])('%s: %s %s is a 400 naming the field, changing nothing', async (_label, method, url, body, message) => {
    const before = await snapshot();
    const type = url.endsWith('/desired') ? 'application/merge-patch+json' : 'application/json';
    const res = await raw(method, url, body, type);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(await snapshot()).toBe(before);
  });

  it('refuses NUL in path and query parameters with a 400, not a database error', async () => {
    const path = await t.request('GET', '/api/v1/devices/a%00b');
    expect(path.status).toBe(400);
    expect(path.body.message).toBe('path parameter id: contains U+0000 (NUL)');
    const nul = await t.request('GET', '/api/v1/devices?type=x%00');
    expect(nul.status).toBe(400);
    expect(nul.body.message).toBe('query parameter type: contains U+0000 (NUL)');
  });

  it('still stores what is storable: paired surrogates and large finite numbers', async () => {
    const res = await raw('PATCH', '/api/v1/devices/keep-1/twin/desired', '{"emoji":"\\ud83d\\ude00","big":1e300}', 'application/merge-patch+json');
    expect(res.status).toBe(200);
    const twin = await t.request('GET', '/api/v1/devices/keep-1/twin');
    expect(twin.body.desired).toMatchObject({ emoji: '😀', big: 1e300 });
  });
});
