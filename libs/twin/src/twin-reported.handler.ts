import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type MqttContext, Payload } from '@nestjs/microservices';
import { REPORTED_STATE_MESSAGE, type TwinDocument } from '@edgefleet/contracts';
import { DevicePayloadPipe, DirectDeviceRoutes, deviceIdOf } from '@edgefleet/gateway';
import { ReportedStateIngest } from './reported-state-ingest';

/**
 * `devices/{id}/state/reported`, the busiest device topic: a direct route on the embedded
 * broker, this `@EventPattern` handler with `BROKER_URL`. Refusals (not an object, too
 * large) are answered on `devices/{id}/errors` by the gateway either way.
 */
@Controller()
export class TwinReportedHandler {
  constructor(
    private readonly ingest: ReportedStateIngest,
    routes: DirectDeviceRoutes,
  ) {
    routes.add(REPORTED_STATE_MESSAGE, (deviceId, patch, qos) => this.ingest.report(deviceId, patch, qos));
  }

  @EventPattern<string>(REPORTED_STATE_MESSAGE.pattern)
  async handle(@Payload(new DevicePayloadPipe(REPORTED_STATE_MESSAGE)) patch: TwinDocument, @Ctx() context: MqttContext): Promise<void> {
    await this.ingest.report(deviceIdOf(context), patch);
  }
}
