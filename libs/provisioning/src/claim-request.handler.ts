import { Controller, Logger } from '@nestjs/common';
import { Ctx, type MqttContext, Payload } from '@nestjs/microservices';
import { DomainError } from '@edgefleet/common';
import { claimRequestSpec, claimResponseTopic } from '@edgefleet/contracts';
import { DeviceChannel, OnDeviceMessage, topicParams } from '@edgefleet/gateway';
import { type ProvisionedDevice, ProvisioningClaimService, toIssuedCertificateDto } from '@edgefleet/identity';

/**
 * `claims/{claimId}/{nonce}/request` from a claim session (the broker lets it publish nothing
 * else, so the topic's claim id is the one it signed in with). The answer, on
 * `claims/{claimId}/{nonce}/response`, is the device's identity, or `{error}`: a claim session
 * has no `devices/{id}/errors` topic.
 */
@Controller()
export class ClaimRequestHandler {
  private readonly logger = new Logger('Provisioning');

  constructor(
    private readonly claims: ProvisioningClaimService,
    private readonly channel: DeviceChannel,
  ) {}

  @OnDeviceMessage(claimRequestSpec)
  async handle(@Payload() payload: unknown, @Ctx() context: MqttContext): Promise<void> {
    const [claimId, nonce] = topicParams(context, claimRequestSpec);
    const response = claimResponseTopic(claimId, nonce);
    const checked = claimRequestSpec.check(payload);
    if (!checked.ok) return this.channel.publishJson(response, { error: checked.error }, { qos: 1 });
    let answer: object;
    try {
      answer = toAnswer(await this.claims.provision(claimId, checked.value));
    } catch (error) {
      if (!(error instanceof DomainError)) this.logger.error(`provisioning by claim ${claimId} failed: ${(error as Error).message}`);
      answer = { error: error instanceof DomainError ? error.message : 'the server could not provision the device' };
    }
    await this.channel.publishJson(response, answer, { qos: 1 });
  }
}

function toAnswer(provisioned: ProvisionedDevice): object {
  const { deviceId, certificate, credentials } = provisioned;
  if (credentials) return { deviceId, credentials };
  return { deviceId, ...toIssuedCertificateDto(certificate!) };
}
