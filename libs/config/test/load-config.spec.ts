import { ConfigError, loadConfig } from '@edgefleet/config';

describe('loadConfig', () => {
  it('has a default for everything (CONTRACT §1)', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(config.mqtt).toMatchObject({ host: '127.0.0.1', port: 1883, wsPort: 8083 });
    expect(config.mqtt.tls).toBeUndefined();
    expect(config.mqtt).toMatchObject({ maxPacketBytes: 256 * 1024, maxConnections: 50_000, rateLimit: { perSecond: 50, burst: 100 } });
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('accepts port 0 as any free port', () => {
    expect(loadConfig({ HTTP_PORT: '0' }).http.port).toBe(0);
  });

  it.each([
    [{ HTTP_PORT: 'abc' }, 'HTTP_PORT'],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT'],
    [{ MQTT_PORT: '-1' }, 'MQTT_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ BROKER_URL: 'http://x' }, 'BROKER_URL'],
    [{ MQTT_TLS_CERT: '/nope.pem' }, 'MQTT_TLS_KEY'],
    [{ MQTT_TLS_CERT: '/nope.pem', MQTT_TLS_KEY: '/nope.key' }, 'MQTT_TLS_CERT'],
    [{ FLEET_ADMIN_TOKEN: 'short' }, 'FLEET_ADMIN_TOKEN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ MQTT_MAX_PACKET_BYTES: '1k' }, 'MQTT_MAX_PACKET_BYTES'],
    [{ MQTT_MAX_PACKET_BYTES: '10' }, 'MQTT_MAX_PACKET_BYTES'],
    [{ MQTT_MAX_PACKET_BYTES: '300000000' }, 'MQTT_MAX_PACKET_BYTES'],
    [{ MQTT_MAX_CONNECTIONS: '0' }, 'MQTT_MAX_CONNECTIONS'],
    [{ MQTT_RATE_LIMIT_PER_SEC: 'fast' }, 'MQTT_RATE_LIMIT_PER_SEC'],
    [{ MQTT_RATE_LIMIT_BURST: '-5' }, 'MQTT_RATE_LIMIT_BURST'],
  ])('%p fails naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});
