import { ApiProperty } from '@nestjs/swagger';
import type { Artifact } from '../artifact';

/** The multipart form of an upload; documents the request body (multipart is read by hand, not by the validation pipe). */
export class UploadArtifactDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The firmware image; streamed to disk, up to ARTIFACT_MAX_UPLOAD_MB' })
  file!: unknown;

  @ApiProperty({ description: 'Artifact name; (name, version) is unique', example: 'cam-firmware' })
  name!: string;

  @ApiProperty({ description: 'Semantic version (semver.org 2.0.0)', example: '2.1.0' })
  version!: string;

  @ApiProperty({ type: [String], description: 'Device types it is for: the field repeated, or one comma-separated value', example: ['cam'] })
  deviceTypes!: string[];
}

export class ArtifactDto {
  @ApiProperty({ description: 'Artifact id (UUID)' }) id!: string;
  @ApiProperty({ description: 'Artifact name' }) name!: string;
  @ApiProperty({ description: 'Semantic version' }) version!: string;
  @ApiProperty({ type: [String], description: 'Device types it is for' }) deviceTypes!: string[];
  @ApiProperty({ description: 'Size in bytes' }) size!: number;
  @ApiProperty({ description: 'SHA-256 of the bytes, lowercase hex; also the download ETag' }) sha256!: string;
  @ApiProperty({
    description: 'base64 Ed25519 signature over the UTF-8 bytes of `edgefleet-artifact-v1\\n{id}\\n{version}\\n{sha256}\\n{size}`',
  })
  signature!: string;
  @ApiProperty({ description: 'Id of the signing key that made `signature` (GET /api/v1/signing-keys)' }) signingKeyId!: string;
  @ApiProperty({ description: 'Upload time' }) createdAt!: string;
  @ApiProperty({
    type: () => ArtifactQuarantineDto,
    nullable: true,
    description: 'Set when a health-gated rollout with `quarantine: true` reverted it; new rollouts with it are refused (409) unless `force: true`',
  })
  quarantine!: ArtifactQuarantineDto | null;
}

export class ArtifactQuarantineDto {
  @ApiProperty({ description: 'When it was quarantined' }) at!: string;
  @ApiProperty({ description: 'Which rollout reverted it, and why' }) reason!: string;
}

export class ArtifactPageDto {
  @ApiProperty({ type: [ArtifactDto], description: 'Artifacts ordered by id' }) items!: ArtifactDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toArtifactDto(artifact: Artifact): ArtifactDto {
  return {
    id: artifact.id,
    name: artifact.name,
    version: artifact.version,
    deviceTypes: artifact.deviceTypes,
    size: artifact.size,
    sha256: artifact.sha256,
    signature: artifact.signature,
    signingKeyId: artifact.signingKeyId,
    createdAt: artifact.createdAt.toISOString(),
    quarantine: artifact.quarantine ? { at: artifact.quarantine.at.toISOString(), reason: artifact.quarantine.reason } : null,
  };
}
