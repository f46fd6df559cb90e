import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { BrokerService } from '@edgefleet/broker';
import { TestApp } from '../../../test/support/test-app';
import { loopbackServerCertificate } from '../../../test/support/openssl';
import { scratchDir } from '../../../test/support/scratch-dir';
import { collect, connectDevice, waitFor } from '../../../test/support/mqtt-device';

const run = promisify(execFile);

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('embedded broker: TLS listener and a third-party client', () => {
  const dir = scratchDir('edgefleet-tls-');
  const { cert, key } = loopbackServerCertificate(dir);
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start({ MQTTS_PORT: '0', MQTT_TLS_CERT: cert, MQTT_TLS_KEY: key }, { broker: true });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = (id: string) => t.registerDevice(id);

  it('accepts a device over TLS that trusts the configured certificate', async () => {
    expect(t.broker.mqtts).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const client = await connectDevice(t.broker.mqtts!, await register('tls-1'), { ca: readFileSync(cert) });
    const received = collect(client);
    await client.subscribeAsync('devices/tls-1/#');
    await client.publishAsync('devices/tls-1/state/reported', '{"secure":true}', { qos: 1 });
    await waitFor(() => received.length, (n) => n === 1);
    await client.endAsync();
  });

  const mosquitto = hasBinary('mosquitto_sub') && hasBinary('mosquitto_pub');
  (mosquitto ? it : it.skip)('serves mosquitto_sub and mosquitto_pub as a device (skipped when mosquitto-clients is not installed)', async () => {
    const login = await register('mosq-1');
    const { port } = new URL(t.broker.mqtt);
    const auth = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-i', login.id, '-u', login.id];

    const sub = run('mosquitto_sub', [...auth, '-P', login.password, '-t', 'devices/mosq-1/#', '-C', '1', '-W', '10']);
    await waitFor(() => t.request('GET', '/api/v1/devices/mosq-1').then((r) => r.body.status), (s) => s === 'online');
    await t.app.get(BrokerService).publish('devices/mosq-1/jobs/notify', '{"jobs":[]}');
    expect((await sub).stdout.trim()).toBe('{"jobs":[]}');

    await run('mosquitto_pub', [...auth, '-P', login.password, '-q', '1', '-t', 'devices/mosq-1/state/reported', '-m', '{"fw":"1.0"}']);
    const refused = await run('mosquitto_pub', [...auth, '-P', 'wrong', '-t', 'devices/mosq-1/state/reported', '-m', 'x']).catch((error) => error);
    expect(refused.code).not.toBe(0);
    expect(String(refused.stderr)).toMatch(/not authori[sz]ed|bad user ?name or password/i);
  });
  if (!mosquitto) console.warn('mosquitto-clients not installed (apt-get install mosquitto-clients): skipping the mosquitto test');
});
