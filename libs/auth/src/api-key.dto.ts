import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { API_ROLES, type ApiRole } from '@edgefleet/contracts';
import type { ApiKey } from './api-key';

export class CreateApiKeyDto {
  @ApiProperty({ description: 'Human-readable label, e.g. who or what uses the key', example: 'ci pipeline' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ description: 'admin: everything; operator: devices, artifacts, rollouts; viewer: read only', enum: API_ROLES })
  @IsIn(API_ROLES)
  role!: ApiRole;
}

export class ApiKeyDto {
  @ApiProperty({ description: 'Key id' }) id!: string;
  @ApiProperty({ description: 'Label given at creation' }) name!: string;
  @ApiProperty({ description: 'Role', enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ description: 'First characters of the token, to recognise it' }) prefix!: string;
  @ApiProperty({ description: 'When it was created' }) createdAt!: string;
  @ApiProperty({ description: 'Last time it authenticated a request (updated at most once a minute)', nullable: true, type: String })
  lastUsedAt!: string | null;
  @ApiProperty({ description: 'When it was revoked; revoked keys authenticate nothing', nullable: true, type: String })
  revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The bearer token. Shown only in this response; only its hash is stored.' })
  token!: string;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto], description: 'Keys, oldest id first' }) items!: ApiKeyDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
