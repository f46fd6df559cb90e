import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DEVICE_ID_PATTERN, ROLLOUT_TYPES, type RolloutType } from '@edgefleet/contracts';
import { DeviceCriteriaDto } from '@edgefleet/registry';
import { HealthGateDto } from './health/health.dto';
import { MAX_WINDOW_MINUTES } from './maintenance-window';
import type { RolloutRequest } from './rollout-definition';

const DAY_SECONDS = 86_400;

export class RolloutTargetDto {
  @ApiPropertyOptional({ type: [String], description: 'Device ids (each must exist)', example: ['cam-0001'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100_000)
  @Matches(DEVICE_ID_PATTERN, { each: true, message: 'each must be a device id' })
  deviceIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Group ids (static or dynamic); their members at the rollout start are targets (and later members of dynamic groups with includeNewDevices)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  groupIds?: string[];

  @ApiPropertyOptional({ type: DeviceCriteriaDto, description: 'Devices matching these filters (the device list filters) at the rollout start (and later matches with includeNewDevices)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceCriteriaDto)
  selector?: DeviceCriteriaDto;

  @ApiPropertyOptional({
    description:
      'Keep following the selector and the dynamic groups while the rollout runs or is paused: a device that comes to match later ' +
      '(newly registered, or its tags changed) and has no job in this rollout gets one, in the last wave and within maxInFlight, and ' +
      'targetCount grows; for firmware, devices of a type the artifact is not for are left out and counted in excludedCount. ' +
      'Checked every few seconds and soon after devices are registered or retagged; a completed, aborted or cancelled rollout adds ' +
      'nobody. Device ids and static groups stay as they were at the start. Needs a selector or a dynamic group.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  includeNewDevices?: boolean;
}

export class FailureThresholdDto {
  @ApiProperty({ description: 'Abort when more than this percentage of finished devices failed (failed, rejected or timed out)', example: 5 })
  @IsNumber()
  @Min(0)
  @Max(100)
  percent!: number;

  @ApiProperty({ description: 'Only judge once at least this many devices have finished', example: 20 })
  @IsInt()
  @Min(1)
  minSamples!: number;
}

export class RolloutStrategyDto {
  @ApiPropertyOptional({ type: [Number], description: 'Cumulative percentages of the targets per wave, increasing, ending at 100', default: [100], example: [1, 10, 50, 100] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsNumber({}, { each: true })
  waves?: number[];

  @ApiPropertyOptional({ description: 'At most this many devices with a job in flight at once', default: 100, example: 500 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxInFlight?: number;

  @ApiPropertyOptional({ type: FailureThresholdDto, description: 'Abort the rollout when too many devices fail; none by default' })
  @IsOptional()
  @ValidateNested()
  @Type(() => FailureThresholdDto)
  failureThreshold?: FailureThresholdDto;

  @ApiPropertyOptional({ description: 'A device that has not finished this long after its job was sent times out', default: 600, example: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * DAY_SECONDS)
  deviceTimeoutSeconds?: number;

  @ApiPropertyOptional({ description: 'How many times a failed or timed-out job is sent again (with exponential backoff)', default: 0, example: 2 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  retries?: number;

  @ApiPropertyOptional({ description: 'Wait this long after a wave settles before the next wave starts', default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(7 * DAY_SECONDS)
  bakeTimeSeconds?: number;

  @ApiPropertyOptional({ description: 'A device still offline this long after its turn came is timed out; unset: it waits as long as the rollout runs' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * DAY_SECONDS)
  offlineTimeoutSeconds?: number;

  @ApiPropertyOptional({ type: HealthGateDto, description: 'Health gate: each succeeded device bakes and gets a verdict; the next wave starts only when the wave’s gate passes' })
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthGateDto)
  health?: HealthGateDto;
}

export class MaintenanceWindowDto {
  @ApiProperty({ description: 'Five-field cron (minute hour day-of-month month day-of-week) of when a window opens', example: '0 2 * * *' })
  @IsString()
  @Length(9, 200)
  cron!: string;

  @ApiProperty({ description: 'How long each window stays open', example: 120 })
  @IsInt()
  @Min(1)
  @Max(MAX_WINDOW_MINUTES)
  durationMinutes!: number;

  @ApiPropertyOptional({ description: 'IANA time zone the cron is read in', default: 'UTC', example: 'Australia/Sydney' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  timeZone?: string;
}

export class RolloutScheduleDto {
  @ApiPropertyOptional({ description: 'Start no earlier than this (ISO 8601); now when absent', example: '2026-12-01T02:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  startAt?: string;

  @ApiPropertyOptional({ type: MaintenanceWindowDto, description: 'Devices start only inside these windows; in-flight devices finish regardless' })
  @IsOptional()
  @ValidateNested()
  @Type(() => MaintenanceWindowDto)
  window?: MaintenanceWindowDto;
}

export class CreateRolloutDto {
  @ApiProperty({ description: 'Name shown to operators; also seeds the wave membership', example: 'fw 2.1 to cameras' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: ROLLOUT_TYPES, description: '`firmware` installs an artifact; `config` merges a config object into desired state' })
  @IsIn(ROLLOUT_TYPES)
  type!: RolloutType;

  @ApiPropertyOptional({ description: 'Firmware rollouts: the artifact to install; every target must be of one of its device types' })
  @IsOptional()
  @IsUUID('all')
  artifactId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Config rollouts: JSON object merged (RFC 7396) into each device’s desired state and sent in the job', example: { sampling: { intervalSeconds: 30 } } })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiProperty({ type: RolloutTargetDto, description: 'Which devices: the union of ids, groups and selector' })
  @ValidateNested()
  @Type(() => RolloutTargetDto)
  target!: RolloutTargetDto;

  @ApiPropertyOptional({ type: RolloutStrategyDto, description: 'Waves, concurrency, failure threshold, timeouts and retries' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RolloutStrategyDto)
  strategy?: RolloutStrategyDto;

  @ApiPropertyOptional({ description: 'Create the rollout even though its artifact is quarantined (otherwise 409)', default: false })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ type: RolloutScheduleDto, description: 'When devices may start' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RolloutScheduleDto)
  schedule?: RolloutScheduleDto;
}

export function toRolloutRequest(dto: CreateRolloutDto): RolloutRequest {
  return {
    name: dto.name,
    type: dto.type,
    artifactId: dto.artifactId,
    config: dto.config,
    target: {
      deviceIds: dto.target.deviceIds,
      groupIds: dto.target.groupIds,
      selector: dto.target.selector ? { ...dto.target.selector } : undefined,
      includeNewDevices: dto.target.includeNewDevices,
    },
    strategy: dto.strategy
      ? {
          ...dto.strategy,
          failureThreshold: dto.strategy.failureThreshold ? { ...dto.strategy.failureThreshold } : undefined,
          health: dto.strategy.health ? { ...dto.strategy.health, checks: dto.strategy.health.checks.map((check) => ({ ...check })) } : undefined,
        }
      : undefined,
    schedule: dto.schedule ? { startAt: dto.schedule.startAt, window: dto.schedule.window ? { ...dto.schedule.window } : undefined } : undefined,
    ...(dto.force ? { force: true } : {}),
  };
}
