import { Controller } from '@nestjs/common';
import { Ctx, type MqttContext } from '@nestjs/microservices';
import { type JobStatusReport, jobStatusSpec } from '@edgefleet/contracts';
import { DevicePayload, OnDeviceMessage, topicParams } from '@edgefleet/gateway';
import { JobStatusService } from './job-status.service';

/** `devices/{id}/jobs/{jobId}/status`; a report for a job the device does not have is answered on `devices/{id}/errors`. */
@Controller()
export class JobStatusHandler {
  constructor(private readonly statuses: JobStatusService) {}

  @OnDeviceMessage(jobStatusSpec)
  async handle(@DevicePayload(jobStatusSpec) report: JobStatusReport, @Ctx() context: MqttContext): Promise<void> {
    const [deviceId, jobId] = topicParams(context, jobStatusSpec);
    await this.statuses.report(deviceId, jobId, report);
  }
}
