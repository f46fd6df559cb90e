import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { Tags } from '@edgefleet/contracts';
import { DEVICE_TYPE_PATTERN, IsTags, TagsInput } from '@edgefleet/registry';
import type { ProvisioningClaim } from '../claims/provisioning-claim';
import { MAX_CLAIM_USES } from '../claims/provisioning-claim.service';

export class CreateClaimDto {
  @ApiProperty({ description: 'Type given to every device this claim provisions', example: 'cam' })
  @Matches(DEVICE_TYPE_PATTERN, { message: 'must be 1-64 letters, digits, . _ or -' })
  type!: string;

  @ApiPropertyOptional({ description: 'Tags given to every device this claim provisions, {key: value}', type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @TagsInput()
  @IsTags()
  tags?: Tags;

  @ApiProperty({ description: `How many devices may provision themselves with it (1-${MAX_CLAIM_USES})`, example: 500 })
  @IsInt()
  @Min(1)
  @Max(MAX_CLAIM_USES)
  uses!: number;

  @ApiProperty({ description: 'When the claim stops working (ISO 8601, in the future)', example: '2027-01-01T00:00:00Z' })
  @IsDateString()
  expiresAt!: string;
}

export class ClaimDto {
  @ApiProperty({ description: 'Claim id' }) id!: string;
  @ApiProperty({ description: 'Type of the devices it provisions' }) type!: string;
  @ApiProperty({ description: 'Tags of the devices it provisions', type: 'object', additionalProperties: { type: 'string' } }) tags!: Tags;
  @ApiProperty({ description: 'Devices it may provision in all' }) uses!: number;
  @ApiProperty({ description: 'Devices it has provisioned' }) used!: number;
  @ApiProperty({ description: 'When it stops working (ISO 8601)' }) expiresAt!: string;
  @ApiPropertyOptional({ description: 'When it was revoked (ISO 8601); null while not', nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ description: 'When it was made (ISO 8601)' }) createdAt!: string;
}

export class ClaimCredentialsDto {
  @ApiProperty({ description: 'MQTT user name: `claim:{id}`' }) username!: string;
  @ApiProperty({ description: 'MQTT password; shown once, stored hashed' }) password!: string;
}

export class CreatedClaimDto extends ClaimDto {
  @ApiProperty({ type: ClaimCredentialsDto, description: 'The claim credential to burn into the batch of devices; shown once' }) credentials!: ClaimCredentialsDto;
}

export class ClaimListDto {
  @ApiProperty({ type: [ClaimDto], description: 'Claims, newest first' }) items!: ClaimDto[];
}

export function toClaimDto(claim: ProvisioningClaim): ClaimDto {
  return {
    id: claim.id,
    type: claim.type,
    tags: claim.tags,
    uses: claim.maxUses,
    used: claim.used,
    expiresAt: claim.expiresAt.toISOString(),
    revokedAt: claim.revokedAt?.toISOString() ?? null,
    createdAt: claim.createdAt.toISOString(),
  };
}
