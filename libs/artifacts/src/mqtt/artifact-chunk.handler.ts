import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type MqttContext, Payload } from '@nestjs/microservices';
import { type ArtifactChunkRequest, artifactChunkRequestSpec } from '@edgefleet/contracts';
import { DevicePayloadPipe, topicParams } from '@edgefleet/gateway';
import { ArtifactChunkService } from './artifact-chunk.service';

/** `devices/{id}/artifacts/{artifactId}/get`; refusals are answered on `devices/{id}/errors` by the gateway. */
@Controller()
export class ArtifactChunkHandler {
  constructor(private readonly chunks: ArtifactChunkService) {}

  @EventPattern<string>(artifactChunkRequestSpec.pattern)
  async handle(@Payload(new DevicePayloadPipe(artifactChunkRequestSpec)) request: ArtifactChunkRequest, @Ctx() context: MqttContext): Promise<void> {
    const [deviceId, artifactId] = topicParams(context, artifactChunkRequestSpec);
    await this.chunks.serve(deviceId, artifactId, request);
  }
}
