import { Inject, Injectable } from '@nestjs/common';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { BrokerService } from '@edgefleet/broker';
import { HealthRegistry } from '@edgefleet/observability';
import { DeviceChannel } from './device-channel';
import { DeviceErrorReporter } from './device-error-reporter';
import { DirectDeviceRoutes } from './direct-device-routes';
import { EmbeddedDeviceTransport } from './embedded-device-transport';
import { ExternalDeviceChannel } from './external-device-channel';
import { ExternalDeviceTransport } from './external-device-transport';
import { ExternalPresence } from './external-presence';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway-options';
import { GatewayMetrics } from './gateway-metrics';

/** Makes the transport the device handlers run on: in process with the embedded broker, or Nest's MQTT transport with `BROKER_URL`. */
@Injectable()
export class DeviceGateway {
  constructor(
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    private readonly channel: DeviceChannel,
    private readonly metrics: GatewayMetrics,
    private readonly broker: BrokerService,
    private readonly health: HealthRegistry,
    private readonly presence: ExternalPresence,
    private readonly directRoutes: DirectDeviceRoutes,
    private readonly errors: DeviceErrorReporter,
  ) {}

  get external(): boolean {
    return Boolean(this.options.brokerUrl);
  }

  createTransport(): CustomTransportStrategy {
    const { brokerUrl } = this.options;
    if (brokerUrl) {
      const channel = this.channel as ExternalDeviceChannel;
      // The embedded broker reports its own health; with BROKER_URL it is our connection to the broker that matters.
      this.health.register('broker', () => (channel.connected ? { status: 'up', external: true } : { status: 'down', external: true }));
      return new ExternalDeviceTransport(brokerUrl, channel, (deviceId) => this.presence.seen(deviceId));
    }
    return new EmbeddedDeviceTransport(this.broker, this.metrics, this.directRoutes, this.errors);
  }
}
