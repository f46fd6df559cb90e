import { type DynamicModule, Module } from '@nestjs/common';
import { RegistryModule } from '@edgefleet/registry';
import { DeviceChannel } from './device-channel';
import { DevicePresenceHandler } from './device-presence.handler';
import { DeviceErrorFilter } from './device-error.filter';
import { DeviceErrorReporter } from './device-error-reporter';
import { DeviceGateway } from './device-gateway';
import { DirectDeviceRoutes } from './direct-device-routes';
import { EmbeddedDeviceChannel } from './embedded-device-channel';
import { ExternalDeviceChannel } from './external-device-channel';
import { ExternalPresence } from './external-presence';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway-options';
import { GatewayMetrics } from './gateway-metrics';

/**
 * The device gateway: device → server messages reach `@EventPattern` handlers anywhere in
 * the app (or a direct route, for the hottest kinds), and features publish to devices
 * through `DeviceChannel`. Global, because every feature that talks to devices needs the
 * channel.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions): DynamicModule {
    const channel = options.brokerUrl ? ExternalDeviceChannel : EmbeddedDeviceChannel;
    return {
      module: GatewayModule,
      global: true,
      imports: [RegistryModule],
      controllers: [DevicePresenceHandler],
      providers: [
        { provide: GATEWAY_OPTIONS, useValue: options },
        channel,
        { provide: DeviceChannel, useExisting: channel },
        GatewayMetrics,
        DeviceErrorReporter,
        DeviceErrorFilter,
        DirectDeviceRoutes,
        DeviceGateway,
        ExternalPresence,
      ],
      exports: [DeviceChannel, DeviceErrorFilter, DeviceGateway, DirectDeviceRoutes],
    };
  }
}
