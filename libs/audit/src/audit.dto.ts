import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@edgefleet/api';
import type { AuditEntry } from './audit-entry';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only entries about this kind of resource, e.g. `device`' })
  @IsOptional() @IsString() @MaxLength(64)
  resourceType?: string;

  @ApiPropertyOptional({ description: 'Only entries about this resource id' })
  @IsOptional() @IsString() @MaxLength(256)
  resourceId?: string;

  @ApiPropertyOptional({ description: 'Only entries made by this API key id' })
  @IsOptional() @IsString() @MaxLength(64)
  actorId?: string;

  @ApiPropertyOptional({ description: 'Only this action, e.g. `device.update`' })
  @IsOptional() @IsString() @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ description: 'Only entries at or after this time (ISO 8601)', type: String, example: '2026-12-01T00:00:00Z' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'must be an ISO 8601 time' })
  since?: Date;

  @ApiPropertyOptional({ description: 'Only entries before this time (ISO 8601)', type: String, example: '2026-12-02T00:00:00Z' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'must be an ISO 8601 time' })
  until?: Date;
}

export class AuditEntryDto {
  @ApiProperty({ description: 'Entry id, increasing' }) id!: string;
  @ApiProperty({ description: 'When the change was committed' }) at!: string;
  @ApiProperty({ description: 'API key id of who made it; null for the system', nullable: true, type: String }) actorId!: string | null;
  @ApiProperty({ description: 'Name of who made it' }) actorName!: string;
  @ApiProperty({ description: 'What was done, e.g. `device.create`' }) action!: string;
  @ApiProperty({ description: 'Kind of resource changed' }) resourceType!: string;
  @ApiProperty({ description: 'Id of the resource changed' }) resourceId!: string;
  @ApiPropertyOptional({ description: 'The resource before the change', type: Object }) before?: unknown;
  @ApiPropertyOptional({ description: 'The resource after the change', type: Object }) after?: unknown;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'Entries, newest first' }) items!: AuditEntryDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toAuditEntryDto(entry: AuditEntry): AuditEntryDto {
  return { ...entry, at: entry.at.toISOString() };
}
