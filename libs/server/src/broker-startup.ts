import type { INestApplicationContext } from '@nestjs/common';
import { BrokerService } from '@edgefleet/broker';
import { ConfigError, type FleetConfig } from '@edgefleet/config';
import { listenOn } from './listen-on';

export interface BrokerAddresses {
  mqtt: string;
  ws: string;
  mqtts?: string;
}

/** Starts the embedded broker and its listeners (TCP, WebSocket, TLS when configured); returns the bound URLs. */
export async function startBroker(app: INestApplicationContext, mqtt: FleetConfig['mqtt']): Promise<BrokerAddresses> {
  assertEmbeddedBroker(mqtt);
  const broker = app.get(BrokerService);
  await broker.start();
  const { host } = mqtt;
  const addresses: BrokerAddresses = {
    mqtt: await listenOn('MQTT', host, mqtt.port, () => broker.listenTcp(host, mqtt.port)),
    ws: await listenOn('MQTT_WS', host, mqtt.wsPort, () => broker.listenWebSocket(host, mqtt.wsPort), 'MQTT_HOST'),
  };
  const tls = mqtt.tls;
  if (tls) addresses.mqtts = await listenOn('MQTTS', host, tls.port, () => broker.listenTls(host, tls.port, tls), 'MQTT_HOST');
  return addresses;
}

/** An external broker (CONTRACT §4 scale-out) is not built yet; refuse rather than silently ignore the setting. */
export function assertEmbeddedBroker(mqtt: FleetConfig['mqtt']): void {
  if (mqtt.brokerUrl) throw new ConfigError('BROKER_URL', 'an external broker is not supported yet; unset it to use the embedded broker');
}
