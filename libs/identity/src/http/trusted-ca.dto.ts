import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import type { Tags } from '@edgefleet/contracts';
import { DEVICE_TYPE_PATTERN, IsTags, TagsInput } from '@edgefleet/registry';
import type { AutoRegisterPolicy, TrustedCa } from '../ca/trusted-ca';

export class AutoRegisterPolicyDto {
  @ApiProperty({ description: 'Type given to a device registered on its first CONNECT', example: 'cam' })
  @Matches(DEVICE_TYPE_PATTERN, { message: 'must be 1-64 letters, digits, . _ or -' })
  type!: string;

  @ApiPropertyOptional({ description: 'Tags given to such a device, {key: value}', type: 'object', additionalProperties: { type: 'string' }, example: { vendor: 'acme' } })
  @IsOptional()
  @TagsInput()
  @IsTags()
  tags?: Tags;

  @ApiPropertyOptional({ description: 'true: hold such a device as pending (GET /api/v1/pending-devices) until an operator accepts or rejects it', default: false })
  @IsOptional()
  @IsBoolean()
  pending?: boolean;
}

export class RegisterCaDto {
  @ApiProperty({ description: 'The CA certificate, PEM (basicConstraints CA:TRUE), e.g. a device manufacturer\'s' })
  @IsString()
  @MaxLength(64 * 1024)
  certificate!: string;

  @ApiPropertyOptional({ type: AutoRegisterPolicyDto, description: 'Register a device presenting a valid certificate from this CA whose CN is not registered yet, on its first CONNECT' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AutoRegisterPolicyDto)
  autoRegister?: AutoRegisterPolicyDto;
}

export class ChangeCaPolicyDto {
  @ApiProperty({
    type: AutoRegisterPolicyDto,
    nullable: true,
    description: 'The new auto-registration policy for devices from this CA not registered yet; null turns auto-registration off. Devices already registered are left as they are',
  })
  @ValidateIf((_, value) => value !== null)
  @IsDefined({ message: 'autoRegister is required ({type, tags?, pending?} or null)' })
  @IsObject()
  @ValidateNested()
  @Type(() => AutoRegisterPolicyDto)
  autoRegister!: AutoRegisterPolicyDto | null;
}

export class TrustedCaDto {
  @ApiProperty({ description: 'CA id' }) id!: string;
  @ApiProperty({ description: 'SHA-256 of the DER certificate, hex upper case' }) fingerprint!: string;
  @ApiProperty({ description: 'Subject of the CA certificate, one RDN per line' }) subject!: string;
  @ApiProperty({ description: 'The CA certificate, PEM' }) certificate!: string;
  @ApiPropertyOptional({ type: AutoRegisterPolicyDto, nullable: true, description: 'Auto-registration policy; null: its devices must be registered first' }) autoRegister!: AutoRegisterPolicyDto | null;
  @ApiProperty({ description: 'When it was registered (ISO 8601)' }) createdAt!: string;
}

export class TrustedCaListDto {
  @ApiProperty({ type: [TrustedCaDto], description: 'Registered CAs, oldest first (the fleet CA is GET /api/v1/ca)' }) items!: TrustedCaDto[];
}

/** The policy as stored: optional fields left out rather than kept empty. */
export function toAutoRegisterPolicy(given: AutoRegisterPolicyDto | null | undefined): AutoRegisterPolicy | null {
  return given ? { type: given.type, ...(given.tags ? { tags: given.tags } : {}), ...(given.pending ? { pending: true } : {}) } : null;
}

export function toTrustedCaDto(ca: TrustedCa): TrustedCaDto {
  return { id: ca.id!, fingerprint: ca.fingerprint, subject: ca.subject, certificate: ca.certificatePem, autoRegister: ca.autoRegister, createdAt: ca.createdAt.toISOString() };
}
