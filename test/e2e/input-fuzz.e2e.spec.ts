import type { MqttClient } from 'mqtt';
import { findUnstorable } from '@edgefleet/contracts';
import { MetricsRegistry } from '@edgefleet/observability';
import { Fuzz } from '../support/fuzz-input';
import { connectDevice, waitFor } from '../support/mqtt-device';
import { TestApp } from '../support/test-app';

const SEED = Number(process.env.FUZZ_SEED ?? 15);
const MQTT_CASES = 2_000;
const REST_CASES = 1_500;

/** Every byte of the text's UTF-8 percent-encoded (a lone surrogate becomes U+FFFD's bytes; encodeURIComponent would throw). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** Publishes; resolves 'sent' (QoS 0), 'acked' (QoS 1 PUBACK) or 'closed' when the server closed the connection instead. */
function publish(client: MqttClient, topic: string, payload: Buffer, qos: 0 | 1): Promise<'sent' | 'acked' | 'closed'> {
  if (!client.connected) return Promise.resolve('closed');
  return new Promise((resolve) => {
    const onClose = () => resolve('closed');
    client.once('close', onClose);
    client.publish(topic, payload, { qos }, (error) => {
      client.removeListener('close', onClose);
      resolve(error ? 'closed' : qos ? 'acked' : 'sent');
    });
  });
}

/**
 * Issue #15: bounded, seeded fuzzing of every device topic and every REST route. The server
 * stays up, only the offending connection or request is affected, refused input changes no
 * state, and nothing is a server error. Replay a failure with FUZZ_SEED.
 */
describe(`fuzzed device payloads and REST bodies (seed ${SEED}; real app, real broker, real Postgres)`, () => {
  let t: TestApp;
  const fuzz = new Fuzz(SEED);
  beforeAll(async () => (t = await TestApp.start({ TWIN_FLUSH_INTERVAL_MS: '20' }, { broker: true })));
  afterAll(() => t.stop());

  const twinOf = async (id: string) => (await t.request('GET', `/api/v1/devices/${id}/twin`)).body;
  const gatewayFailures = async () => {
    const text = await t.app.get(MetricsRegistry).registry.getSingleMetricAsString('edgefleet_gateway_messages_total');
    return Number(/outcome="failed"} (\d+)/.exec(text)?.[1] ?? NaN);
  };

  it(`${MQTT_CASES} generated payloads on every device topic: only the sender's connection is ever affected`, async () => {
    const fuzzLogin = await t.registerDevice('fz-dev');
    const honestLogin = await t.registerDevice('fz-honest');
    await t.registerDevice('fz-bystander');
    await t.request('PATCH', '/api/v1/devices/fz-bystander', { tags: { keep: 'yes' } });
    const bystanderBefore = await twinOf('fz-bystander');
    const honest = await connectDevice(t.broker.mqtt, honestLogin);
    let honestClosed = 0;
    honest.on('close', () => honestClosed++);
    let device = await connectDevice(t.broker.mqtt, fuzzLogin);
    const failuresBefore = await gatewayFailures();
    const topics = [
      () => 'devices/fz-dev/state/reported',
      () => `devices/fz-dev/jobs/${fuzz.pick(['0190a2f0-0000-7000-8000-000000000001', 'not-a-uuid', fuzz.text().replace(/[/+#]/g, '')])}/status`,
      () => `devices/fz-dev/artifacts/${fuzz.pick(['0190a2f0-0000-7000-8000-000000000002', 'x', fuzz.text().replace(/[/+#]/g, '')])}/get`,
      () => 'devices/fz-dev/presence',
      () => `devices/fz-dev/${fuzz.pick(['state/desired', 'state/delta', 'errors', 'jobs/x', 'other/level'])}`,
    ];
    let honestSeq = 0;
    for (let i = 0; i < MQTT_CASES; i++) {
      const topic = fuzz.pick(topics)();
      const outcome = await publish(device, topic, fuzz.payload(), fuzz.pick([0, 1] as const));
      if (outcome === 'closed' || !device.connected) {
        await device.endAsync(true).catch(() => undefined);
        device = await connectDevice(t.broker.mqtt, fuzzLogin);
      }
      if (i % 50 === 0) {
        honestSeq++;
        expect(await publish(honest, 'devices/fz-honest/state/reported', Buffer.from(JSON.stringify({ seq: honestSeq })), 1)).toBe('acked');
      }
    }
    await device.endAsync(true);
    expect({ honestClosed, serverErrors: (await gatewayFailures()) - failuresBefore }).toEqual({ honestClosed: 0, serverErrors: 0 });
    expect((await twinOf('fz-honest')).reported).toEqual({ seq: honestSeq });
    expect(await twinOf('fz-bystander')).toEqual(bystanderBefore);
    const fuzzed = await twinOf('fz-dev');
    expect(findUnstorable(fuzzed.reported)).toBeUndefined();
    expect((await t.request('GET', '/health')).status).toBe(200);
    await honest.endAsync();
  }, 180_000);

  it(`${REST_CASES} generated requests on every route: no server error, and a refused request changes nothing`, async () => {
    await t.registerDevice('fz-target');
    const document = (await t.request('GET', '/docs-json', undefined, null)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'patch', 'put', 'delete'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(routes.length).toBeGreaterThan(15);
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(['/api/v1/devices?limit=1000', '/api/v1/groups', '/api/v1/rollouts', '/api/v1/api-keys', '/api/v1/devices/fz-target/twin'].map(async (url) => (await t.request('GET', url)).body)),
      );
    const serverErrors: string[] = [];
    const changedByRefusal: string[] = [];
    const fastify = t.app.getHttpAdapter().getInstance();
    for (let i = 0; i < REST_CASES; i++) {
      const route = fuzz.pick(routes);
      // A real id only where a success cannot revoke or delete what the other cases use.
      const realId = route.method !== 'DELETE' && !route.path.includes('rotate') && fuzz.int(2) === 0;
      const url = route.path.replace(/\{[^}]+\}/g, () => (realId ? 'fz-target' : percentEncoded(fuzz.text()) || 'x'));
      const query = fuzz.int(3) === 0 ? `?${fuzz.pick(['limit', 'cursor', 'type', 'tag', 'status', 'firmware', 'q'])}=${percentEncoded(fuzz.text())}` : '';
      const body = ['POST', 'PATCH', 'PUT'].includes(route.method) ? fuzz.jsonText() : undefined;
      const before = await snapshot();
      const response = await fastify.inject({
        method: route.method as 'GET',
        url: url + query,
        headers: {
          authorization: `Bearer ${t.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': url.endsWith('/desired') ? 'application/merge-patch+json' : 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: body }),
      });
      const label = `${route.method} ${url}${query} ${body?.slice(0, 120) ?? ''} → ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode >= 500) serverErrors.push(label);
      if (response.statusCode >= 400 && (await snapshot()) !== before) changedByRefusal.push(label);
    }
    expect(serverErrors).toEqual([]);
    expect(changedByRefusal).toEqual([]);
    expect((await t.request('GET', '/health')).status).toBe(200);
    await waitFor(() => t.request('GET', '/api/v1/devices/fz-target'), (r) => r.status === 200);
  }, 240_000);
});
