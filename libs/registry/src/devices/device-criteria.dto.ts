import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { DEVICE_STATUSES, type DeviceStatus } from '@edgefleet/contracts';
import { IsTagFilter, ToStringArray } from '../tags.validation';
import { IsReportedFilter } from './reported-filter';

export const DEVICE_TYPE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The device filters shared by the device list and dynamic group selectors. */
export class DeviceCriteriaDto {
  @ApiPropertyOptional({ description: 'Device type, exact match', example: 'cam' })
  @IsOptional()
  @Matches(DEVICE_TYPE_PATTERN, { message: 'must be 1-64 letters, digits, . _ or -' })
  type?: string;

  @ApiPropertyOptional({ description: 'Connection status', enum: DEVICE_STATUSES })
  @IsOptional()
  @IsIn(DEVICE_STATUSES)
  status?: DeviceStatus;

  @ApiPropertyOptional({ description: 'Tag `key:value` the device must have; repeat for several (all must match)', type: [String], example: ['site:syd'] })
  @IsOptional()
  @ToStringArray()
  @IsTagFilter()
  tag?: string[];

  @ApiPropertyOptional({ description: 'Firmware version the device reports, exact match', example: '2.1.0' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  firmware?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive search in id and name' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  q?: string;

  @ApiPropertyOptional({
    description:
      'Reported-state values from the device twin, all must match (text form of the value). In the device list as ' +
      '`reported.<path>=<value>` query parameters, e.g. `reported.firmware.version=2.1.0`; in a group selector as an object',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'firmware.version': '2.1.0' },
  })
  @IsOptional()
  @IsReportedFilter()
  reported?: Record<string, string>;
}
