import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@edgefleet/audit';
import { ArtifactAccess } from './access/artifact-access';
import { ArtifactMetrics } from './artifact-metrics';
import { ArtifactUploadService } from './artifact-upload.service';
import { ArtifactRepository } from './artifact.repository';
import { ArtifactService } from './artifact.service';
import { ARTIFACTS_OPTIONS, type ArtifactsOptions } from './artifacts-options';
import { ArtifactLinks } from './delivery/artifact-links';
import { DeviceDownloadTokens } from './delivery/device-download-tokens';
import { ArtifactSender } from './http/artifact-sender';
import { ArtifactController } from './http/artifact.controller';
import { DeviceDownloadController } from './http/device-download.controller';
import { SigningKeyController } from './http/signing-key.controller';
import { ArtifactChunkHandler } from './mqtt/artifact-chunk.handler';
import { ArtifactChunkService } from './mqtt/artifact-chunk.service';
import { ArtifactSigner } from './signing/artifact-signer';
import { SigningKeyRepository } from './signing/signing-key.repository';
import { ArtifactContentStore } from './storage/content-store';

/**
 * Firmware artifacts: upload, signing, HTTP and MQTT delivery (CONTRACT §2, §3). Global, so
 * rollouts can use the service, the links and the access registry without configuring it again.
 */
@Module({})
export class ArtifactsModule {
  static forRoot(options: ArtifactsOptions): DynamicModule {
    return {
      module: ArtifactsModule,
      global: true,
      imports: [AuditModule],
      controllers: [ArtifactController, DeviceDownloadController, SigningKeyController, ArtifactChunkHandler],
      providers: [
        { provide: ARTIFACTS_OPTIONS, useValue: options },
        ArtifactAccess,
        ArtifactChunkService,
        ArtifactContentStore,
        ArtifactLinks,
        ArtifactMetrics,
        ArtifactRepository,
        ArtifactSender,
        ArtifactService,
        ArtifactSigner,
        ArtifactUploadService,
        DeviceDownloadTokens,
        SigningKeyRepository,
      ],
      exports: [ArtifactService, ArtifactLinks, ArtifactAccess],
    };
  }
}
