import { createServer } from 'node:net';
import type { FleetConfig } from '@edgefleet/config';
import { listenOn } from './listen-on';

/**
 * Binds and releases every configured port before anything else starts, so that a port in use
 * fails the start before the database is touched or a one-time admin token is made. Port 0
 * (any free port) cannot be taken and is skipped.
 */
export async function assertPortsFree(config: FleetConfig): Promise<void> {
  const { http, mqtt } = config;
  const ports: [prefix: string, host: string, port: number, hostSetting: string][] = [['HTTP', http.host, http.port, 'HTTP_HOST']];
  if (!mqtt.brokerUrl) {
    ports.push(['MQTT', mqtt.host, mqtt.port, 'MQTT_HOST'], ['MQTT_WS', mqtt.host, mqtt.wsPort, 'MQTT_HOST']);
    if (mqtt.tls) ports.push(['MQTTS', mqtt.host, mqtt.tls.port, 'MQTT_HOST']);
  }
  for (const [prefix, host, port, hostSetting] of ports) {
    if (port === 0) continue;
    await listenOn(prefix, host, port, () => probe(host, port), hostSetting);
  }
}

function probe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
