import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, Length, ValidateNested } from 'class-validator';
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

export class GroupDto {
  @ApiProperty({ description: 'Group id' }) id!: string;
  @ApiProperty({ description: 'Group name' }) name!: string;
  @ApiProperty({ description: 'true when membership comes from the selector' }) dynamic!: boolean;
  @ApiProperty({ type: DeviceCriteriaDto, nullable: true, description: 'The selector of a dynamic group; null for a static one' })
  selector!: DeviceCriteriaDto | null;
  @ApiProperty({ description: 'Creation time' }) createdAt!: string;
}

export class GroupPageDto {
  @ApiProperty({ type: [GroupDto], description: 'Groups ordered by id' }) items!: GroupDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toGroupDto(group: Group): GroupDto {
  return { id: group.id, name: group.name, dynamic: group.selector !== null, selector: group.selector, createdAt: group.createdAt.toISOString() };
}
