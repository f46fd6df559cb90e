import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type MqttContext, Payload } from '@nestjs/microservices';
import { REPORTED_STATE_MESSAGE, type TwinDocument } from '@edgefleet/contracts';
import { DevicePayloadPipe, deviceIdOf } from '@edgefleet/gateway';
import { ReportedStateIngest } from './reported-state-ingest';

/** `devices/{id}/state/reported`; refusals (not an object, too large) are answered on `devices/{id}/errors` by the gateway. */
@Controller()
export class TwinReportedHandler {
  constructor(private readonly ingest: ReportedStateIngest) {}

  @EventPattern<string>(REPORTED_STATE_MESSAGE.pattern)
  async handle(@Payload(new DevicePayloadPipe(REPORTED_STATE_MESSAGE)) patch: TwinDocument, @Ctx() context: MqttContext): Promise<void> {
    await this.ingest.report(deviceIdOf(context), patch);
  }
}
