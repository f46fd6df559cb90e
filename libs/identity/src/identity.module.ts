import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { RegistryModule } from '@edgefleet/registry';
import { FleetCa } from './ca/fleet-ca';
import { TrustedCaRepository } from './ca/trusted-ca.repository';
import { TrustedCaService } from './ca/trusted-ca.service';
import { TrustedCas } from './ca/trusted-cas';
import { ProvisioningClaimRepository } from './claims/provisioning-claim.repository';
import { ProvisioningClaimService } from './claims/provisioning-claim.service';
import { CertificateAutoRegistration } from './certificates/certificate-auto-registration';
import { CertificateMetrics } from './certificates/certificate-metrics';
import { CertificateSightings } from './certificates/certificate-sightings';
import { CertificateVerifier } from './certificates/certificate-verifier';
import { DeviceCertificateRepository } from './certificates/device-certificate.repository';
import { DeviceCertificateService } from './certificates/device-certificate.service';
import { RevokedCertificates } from './certificates/revoked-certificates';
import { DeviceCertificateController } from './http/device-certificate.controller';
import { PendingDeviceController } from './http/pending-device.controller';
import { ProvisioningClaimController } from './http/provisioning-claim.controller';
import { PendingDeviceRepository } from './pending/pending-device.repository';
import { PendingDeviceService } from './pending/pending-device.service';
import { TrustedCaController } from './http/trusted-ca.controller';
import { IDENTITY_OPTIONS, type IdentityOptions } from './identity-options';

/** Device identity by X.509 (CONTRACT §9): the fleet CA, trusted CAs, device certificates and their checks at CONNECT. */
@Module({})
export class IdentityModule {
  static forRoot(options: IdentityOptions): DynamicModule {
    return {
      module: IdentityModule,
      // Global so the broker verifies certificates without configuring the CA again.
      global: true,
      imports: [AuditModule, RegistryModule],
      controllers: [DeviceCertificateController, PendingDeviceController, ProvisioningClaimController, TrustedCaController],
      providers: [
        { provide: IDENTITY_OPTIONS, useValue: options },
        CertificateAutoRegistration,
        CertificateMetrics,
        CertificateSightings,
        CertificateVerifier,
        DeviceCertificateRepository,
        DeviceCertificateService,
        FleetCa,
        PendingDeviceRepository,
        PendingDeviceService,
        ProvisioningClaimRepository,
        ProvisioningClaimService,
        RevokedCertificates,
        TrustedCaRepository,
        TrustedCaService,
        TrustedCas,
      ],
      exports: [FleetCa, CertificateVerifier, CertificateAutoRegistration, DeviceCertificateService, ProvisioningClaimService],
    };
  }
}
