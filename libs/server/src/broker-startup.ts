import type { INestApplication } from '@nestjs/common';
import { BrokerService } from '@edgefleet/broker';
import type { FleetConfig } from '@edgefleet/config';
import { DeviceErrorFilter, DeviceGateway } from '@edgefleet/gateway';
import { listenOn } from './listen-on';
import { mqttTlsCredentials } from './mqtt-tls-credentials';

export interface BrokerAddresses {
  mqtt: string;
  ws?: string;
  mqtts?: string;
}

/**
 * Starts device connectivity: the embedded broker and its listeners (TCP, WebSocket, TLS
 * when configured), or nothing of ours with `BROKER_URL`; then the device gateway. Returns
 * the MQTT addresses devices use.
 */
export async function startBroker(app: INestApplication, config: FleetConfig): Promise<BrokerAddresses> {
  const mqtt = config.mqtt;
  if (mqtt.brokerUrl) {
    await startGateway(app);
    return { mqtt: mqtt.brokerUrl };
  }
  const broker = app.get(BrokerService);
  await broker.start();
  // Handlers first, listeners after: after a restart devices reconnect the moment the port
  // opens, and a message aedes acknowledged before the gateway listened would be lost.
  await startGateway(app);
  return listenEmbedded(app, broker, config);
}

async function listenEmbedded(app: INestApplication, broker: BrokerService, config: FleetConfig): Promise<BrokerAddresses> {
  const mqtt = config.mqtt;
  const { host } = mqtt;
  const addresses: BrokerAddresses = {
    mqtt: await listenOn('MQTT', host, mqtt.port, () => broker.listenTcp(host, mqtt.port)),
    ws: await listenOn('MQTT_WS', host, mqtt.wsPort, () => broker.listenWebSocket(host, mqtt.wsPort), 'MQTT_HOST'),
  };
  const tls = mqtt.tls;
  if (tls) {
    const credentials = await mqttTlsCredentials(app, config, tls);
    addresses.mqtts = await listenOn('MQTTS', host, tls.port, () => broker.listenTls(host, tls.port, credentials), 'MQTT_HOST');
  }
  return addresses;
}

/** The device handlers (`@EventPattern` anywhere in the app) as a Nest microservice on the gateway's transport. */
async function startGateway(app: INestApplication): Promise<void> {
  // Deferred so the handlers are bound after the filter is set (Nest binds them on connect otherwise).
  const microservice = app.connectMicroservice({ strategy: app.get(DeviceGateway).createTransport() }, { deferInitialization: true });
  microservice.useGlobalFilters(app.get(DeviceErrorFilter));
  await app.startAllMicroservices();
}
