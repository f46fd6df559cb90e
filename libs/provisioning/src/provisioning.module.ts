import { Module } from '@nestjs/common';
import { CertificateRenewalHandler } from './certificate-renewal.handler';
import { ClaimRequestHandler } from './claim-request.handler';

/**
 * Device identity over MQTT: provisioning by claim and certificate renewal. Apart from
 * libs/identity because these handlers answer through the gateway, which sits above the
 * broker, which itself uses libs/identity at CONNECT.
 */
@Module({ controllers: [ClaimRequestHandler, CertificateRenewalHandler] })
export class ProvisioningModule {}
