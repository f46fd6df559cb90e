import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { DEVICE_ID_PATTERN } from '@edgefleet/contracts';
import { DeviceCriteriaDto } from '../devices/device-criteria.dto';
import type { Group } from './group';

export class CreateGroupDto {
  @ApiProperty({ description: 'Unique group name', example: 'sydney cameras' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ type: DeviceCriteriaDto, description: 'Makes the group dynamic: its members are the devices matching these filters (the device list filters)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceCriteriaDto)
  selector?: DeviceCriteriaDto;
}

export const MAX_GROUP_ADD = 10_000;

export class UpdateGroupDto {
  @ApiPropertyOptional({ description: 'New unique name' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ type: DeviceCriteriaDto, description: 'New selector of a dynamic group (replaces the old one)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceCriteriaDto)
  selector?: DeviceCriteriaDto;
}

export class AddGroupDevicesDto {
  @ApiProperty({ type: [String], description: `1 to ${MAX_GROUP_ADD} device ids to add to a static group` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_GROUP_ADD)
  @Matches(DEVICE_ID_PATTERN, { each: true, message: 'each must be a device id' })
  deviceIds!: string[];
}

export class AddedGroupDevicesDto {
  @ApiProperty({ description: 'Devices that became members now (already members are not counted)' }) added!: number;
  @ApiProperty({ type: [String], description: 'Ids that are not registered devices; the others were added' }) unknown!: string[];
}

export class GroupDto {
  @ApiProperty({ description: 'Group id' }) id!: string;
  @ApiProperty({ description: 'Group name' }) name!: string;
  @ApiProperty({ description: 'true when membership comes from the selector' }) dynamic!: boolean;
  @ApiProperty({ type: DeviceCriteriaDto, nullable: true, description: 'The selector of a dynamic group; null for a static one' })
  selector!: DeviceCriteriaDto | null;
  @ApiProperty({ description: 'Creation time' }) createdAt!: string;
  @ApiProperty({ description: 'Members now: of a static group its devices, of a dynamic one the devices its selector matches' }) memberCount!: number;
}

export class GroupPageDto {
  @ApiProperty({ type: [GroupDto], description: 'Groups ordered by id' }) items!: GroupDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toGroupDto(group: Group, memberCount: number): GroupDto {
  return { id: group.id, name: group.name, dynamic: group.selector !== null, selector: group.selector, createdAt: group.createdAt.toISOString(), memberCount };
}
