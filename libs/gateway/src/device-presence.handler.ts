import { Controller } from '@nestjs/common';
import { Ctx, type MqttContext } from '@nestjs/microservices';
import { type PresenceReport, presenceSpec } from '@edgefleet/contracts';
import { deviceIdOf } from './device-context';
import { DevicePayload, OnDeviceMessage } from './device-message.decorators';
import { ExternalPresence } from './external-presence';

/** `devices/{id}/presence` (external broker mode; see ExternalPresence). */
@Controller()
export class DevicePresenceHandler {
  constructor(private readonly presence: ExternalPresence) {}

  @OnDeviceMessage(presenceSpec)
  handle(@DevicePayload(presenceSpec) report: PresenceReport, @Ctx() context: MqttContext): void {
    this.presence.reported(deviceIdOf(context), report.online);
  }
}
