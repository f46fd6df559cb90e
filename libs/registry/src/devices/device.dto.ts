import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { PageQueryDto } from '@edgefleet/api';
import { DEVICE_ID_PATTERN, DEVICE_STATUSES, type DeviceStatus, type Tags } from '@edgefleet/contracts';
import { IsTags, TagsInput } from '../tags.validation';
import { AUTH_METHODS, type AuthMethod, type Device, type DeviceCredentials } from './device';
import { DEVICE_TYPE_PATTERN, DeviceCriteriaDto } from './device-criteria.dto';
import { MAX_BATCH_DEVICES, type RegisteredDevice } from './device.service';

export const MAX_NAME_LENGTH = 200;

const TAGS_DOC = { description: 'Tags as {key: value}; a list of "key:value" strings is accepted too', type: 'object', additionalProperties: { type: 'string' }, example: { site: 'syd' } } as const;

export class RegisterDeviceDto {
  @ApiPropertyOptional({ description: 'Device id, also its MQTT client id and username; generated (UUID) when absent', example: 'cam-0001' })
  @IsOptional()
  @Matches(DEVICE_ID_PATTERN, { message: 'must be 1-128 characters: letters, digits, . _ : -, starting with a letter or digit' })
  id?: string;

  @ApiPropertyOptional({ description: 'Display name', example: 'Lobby camera' })
  @IsOptional()
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name?: string;

  @ApiProperty({ description: 'Device type; firmware is matched against it', example: 'cam' })
  @Matches(DEVICE_TYPE_PATTERN, { message: 'must be 1-64 letters, digits, . _ or -' })
  type!: string;

  @ApiPropertyOptional(TAGS_DOC)
  @IsOptional()
  @TagsInput()
  @IsTags()
  tags?: Tags;
}

export class BatchRegisterDto {
  @ApiProperty({ type: [RegisterDeviceDto], description: `1 to ${MAX_BATCH_DEVICES} devices; all are registered or none` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_DEVICES)
  @ValidateNested({ each: true })
  @Type(() => RegisterDeviceDto)
  devices!: RegisterDeviceDto[];
}

export class UpdateDeviceDto {
  @ApiPropertyOptional({ description: 'New display name; null clears it', nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name?: string | null;

  @ApiPropertyOptional({ ...TAGS_DOC, description: 'Replaces all tags' })
  @IsOptional()
  @TagsInput()
  @IsTags()
  tags?: Tags;
}

export class DeviceCountQueryDto extends DeviceCriteriaDto {
  @ApiPropertyOptional({ description: 'Group id or name: members of a static group, or devices matching a dynamic group' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  group?: string;
}

export class DeviceListQueryDto extends IntersectionType(PageQueryDto, DeviceCountQueryDto) {}

export class CredentialsDto {
  @ApiProperty({ description: 'MQTT username (the device id)' }) username!: string;
  @ApiProperty({ description: 'MQTT password. Shown only in this response; only its hash is stored.' }) password!: string;
}

export class DeviceDto {
  @ApiProperty({ description: 'Device id' }) id!: string;
  @ApiProperty({ description: 'Display name', nullable: true, type: String }) name!: string | null;
  @ApiProperty({ description: 'Device type' }) type!: string;
  @ApiProperty(TAGS_DOC) tags!: Tags;
  @ApiProperty({ description: 'Connected to the broker now or not', enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty({ description: 'Last time the device was heard from', nullable: true, type: String }) lastSeenAt!: string | null;
  @ApiProperty({ description: 'Firmware version from the reported state', nullable: true, type: String }) firmwareVersion!: string | null;
  @ApiProperty({ description: 'Registration time' }) createdAt!: string;
  @ApiProperty({ description: 'Last change to name or tags' }) updatedAt!: string;
}

export class RegisteredDeviceDto extends DeviceDto {
  @ApiProperty({ type: CredentialsDto, description: 'MQTT credentials' }) credentials!: CredentialsDto;
}

export class BatchRegisteredDto {
  @ApiProperty({ type: [RegisteredDeviceDto], description: 'The devices, in request order, with their credentials' })
  devices!: RegisteredDeviceDto[];
}

export class DevicePageDto {
  @ApiProperty({ type: [DeviceDto], description: 'Devices ordered by id' }) items!: DeviceDto[];
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String })
  nextCursor!: string | null;
}

export function toDeviceDto(device: Device): DeviceDto {
  return {
    id: device.id,
    name: device.name,
    type: device.type,
    tags: device.tags,
    status: device.status,
    lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
    firmwareVersion: device.firmwareVersion,
    createdAt: device.createdAt.toISOString(),
    updatedAt: device.updatedAt.toISOString(),
  };
}

export function toRegisteredDeviceDto(device: RegisteredDevice): RegisteredDeviceDto {
  return { ...toDeviceDto(device), credentials: toCredentialsDto(device.credentials) };
}

export function toCredentialsDto(credentials: DeviceCredentials): CredentialsDto {
  return { username: credentials.username, password: credentials.password };
}

export class AuthMethodsDto {
  @ApiProperty({
    description: 'How the device may sign in: `password` (user name and password at CONNECT), `certificate` (a client certificate over MQTTS). At least one.',
    enum: AUTH_METHODS,
    isArray: true,
    example: ['certificate'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(AUTH_METHODS.length)
  @IsIn(AUTH_METHODS, { each: true })
  methods!: AuthMethod[];
}
