import { Controller } from '@nestjs/common';
import { Ctx, type MqttContext } from '@nestjs/microservices';
import { type CertificateRenewal, certificateRenewalSpec, certificateRenewedTopic } from '@edgefleet/contracts';
import { DeviceChannel, DevicePayload, OnDeviceMessage, deviceIdOf } from '@edgefleet/gateway';
import { DEVICE_ACTOR, DeviceCertificateService, toIssuedCertificateDto } from '@edgefleet/identity';

/**
 * `devices/{id}/certificates/renew` `{csr}`: a new certificate from the fleet CA, answered on
 * `devices/{id}/certificates/renewed`. The old one stays valid until the new one first signs
 * the device in (or the old one expires). Refusals (bad CSR, CN not the id) go to
 * `devices/{id}/errors` like any refused device message.
 */
@Controller()
export class CertificateRenewalHandler {
  constructor(
    private readonly certificates: DeviceCertificateService,
    private readonly channel: DeviceChannel,
  ) {}

  @OnDeviceMessage(certificateRenewalSpec)
  async handle(@DevicePayload(certificateRenewalSpec) request: CertificateRenewal, @Ctx() context: MqttContext): Promise<void> {
    const deviceId = deviceIdOf(context);
    const renewed = await this.certificates.sign(DEVICE_ACTOR(deviceId), deviceId, request.csr, { renewal: true });
    await this.channel.publishJson(certificateRenewedTopic(deviceId), toIssuedCertificateDto(renewed), { qos: 1 });
  }
}
