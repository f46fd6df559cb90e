import type { INestApplication } from '@nestjs/common';
import { BrokerService } from '@edgefleet/broker';
import type { FleetConfig } from '@edgefleet/config';
import { DeviceErrorFilter, DeviceGateway } from '@edgefleet/gateway';
import { listenOn } from './listen-on';

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
export async function startBroker(app: INestApplication, mqtt: FleetConfig['mqtt']): Promise<BrokerAddresses> {
  if (mqtt.brokerUrl) {
    await startGateway(app);
    return { mqtt: mqtt.brokerUrl };
  }
  const broker = app.get(BrokerService);
  await broker.start();
  // Handlers first, listeners after: after a restart devices reconnect the moment the port
  // opens, and a message aedes acknowledged before the gateway listened would be lost.
  await startGateway(app);
  return listenEmbedded(broker, mqtt);
}

async function listenEmbedded(broker: BrokerService, mqtt: FleetConfig['mqtt']): Promise<BrokerAddresses> {
  const { host } = mqtt;
  const addresses: BrokerAddresses = {
    mqtt: await listenOn('MQTT', host, mqtt.port, () => broker.listenTcp(host, mqtt.port)),
    ws: await listenOn('MQTT_WS', host, mqtt.wsPort, () => broker.listenWebSocket(host, mqtt.wsPort), 'MQTT_HOST'),
  };
  const tls = mqtt.tls;
  if (tls) addresses.mqtts = await listenOn('MQTTS', host, tls.port, () => broker.listenTls(host, tls.port, tls), 'MQTT_HOST');
  return addresses;
}

/** The device handlers (`@EventPattern` anywhere in the app) as a Nest microservice on the gateway's transport. */
async function startGateway(app: INestApplication): Promise<void> {
  // Deferred so the handlers are bound after the filter is set (Nest binds them on connect otherwise).
  const microservice = app.connectMicroservice({ strategy: app.get(DeviceGateway).createTransport() }, { deferInitialization: true });
  microservice.useGlobalFilters(app.get(DeviceErrorFilter));
  await app.startAllMicroservices();
}
