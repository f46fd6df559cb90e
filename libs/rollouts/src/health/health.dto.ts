import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { RECENT_CONNECTS_KEPT } from '@edgefleet/registry';
import { type CheckValue, GATE_ACTIONS, type GateAction, HEALTH_OPS, type HealthOp, INCONCLUSIVE_ACTIONS, type InconclusiveAction, PATH_PATTERN } from './health-spec';

const DAY_SECONDS = 86_400;

export class RelativeToDto {
  @ApiPropertyOptional({ description: 'Multiplies the device’s baseline', default: 1, example: 1.5 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1e6)
  @Max(1e6)
  factor?: number;

  @ApiPropertyOptional({ description: 'Added to baseline × factor', default: 0, example: 0.01 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1e12)
  @Max(1e12)
  offset?: number;
}

export class HealthCheckDto {
  @ApiProperty({ description: 'Dot path into the device-reported state (up to 8 keys)', example: 'health.app' })
  @IsString()
  @Length(1, 200)
  @Matches(PATH_PATTERN, { message: 'path must be a dot path of up to 8 keys (letters, digits, _ and -)' })
  path!: string;

  @ApiProperty({ enum: HEALTH_OPS, description: 'Comparison of the reported value with `value`; lt/lte/gt/gte need numbers on both sides (a non-number reported fails)' })
  @IsIn(HEALTH_OPS)
  op!: HealthOp;

  @ApiPropertyOptional({ description: 'The value to compare with: a string, number, boolean or null; absent for a relative check', example: 'ok', oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], nullable: true })
  @Allow()
  value?: CheckValue;

  @ApiPropertyOptional({
    type: () => RelativeToDto,
    description: 'Compare with the device’s own value at `path` when its job was dispatched, × factor + offset (ordered ops only); a device that reported no number there then skips this check',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RelativeToDto)
  relative?: RelativeToDto;

  @ApiPropertyOptional({ description: 'Evaluate and record this check, never act on it', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class WentDarkSignalDto {
  @ApiProperty({ description: 'A device offline for more than this many seconds during its bake is unhealthy', example: 600 })
  @IsInt()
  @Min(1)
  @Max(30 * DAY_SECONDS)
  afterSeconds!: number;

  @ApiPropertyOptional({ description: 'Evaluate and record, never act', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class VersionRegressionSignalDto {
  @ApiPropertyOptional({ description: 'Evaluate and record, never act', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class ReconnectLoopSignalDto {
  @ApiProperty({ description: 'A device that begins more than this many sessions (reconnects) within `withinSeconds` after its success is unhealthy (0: any reconnect)', example: 3 })
  @IsInt()
  @Min(0)
  @Max(RECENT_CONNECTS_KEPT - 1)
  maxReconnects!: number;

  @ApiProperty({ description: 'The window the reconnects are counted in (any window of this length after the success; the reboot the install asked for came before and never counts)', example: 300 })
  @IsInt()
  @Min(1)
  @Max(7 * DAY_SECONDS)
  withinSeconds!: number;

  @ApiPropertyOptional({ description: 'Evaluate and record, never act', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class HealthSignalsDto {
  @ApiPropertyOptional({ type: WentDarkSignalDto, description: 'Went dark: offline for too long after its success (offline is otherwise never unhealthy)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => WentDarkSignalDto)
  wentDark?: WentDarkSignalDto;

  @ApiPropertyOptional({ type: VersionRegressionSignalDto, description: 'Firmware rollouts: the device reports another firmware.version than the artifact’s again (it rolled itself back)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => VersionRegressionSignalDto)
  versionRegression?: VersionRegressionSignalDto;

  @ApiPropertyOptional({ type: ReconnectLoopSignalDto, description: 'Reboot or reconnect loop: too many sessions begun within a window after its success' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReconnectLoopSignalDto)
  reconnectLoop?: ReconnectLoopSignalDto;
}

export class HealthGateDto {
  @ApiProperty({ description: 'Online seconds a device must stay healthy after its success is confirmed (offline time does not count)', example: 300 })
  @IsInt()
  @Min(0)
  @Max(7 * DAY_SECONDS)
  bakeSeconds!: number;

  @ApiProperty({ type: [HealthCheckDto], description: 'Conditions on device-reported state, read while the device is online during its bake' })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => HealthCheckDto)
  checks!: HealthCheckDto[];

  @ApiProperty({ description: 'Devices of the wave that must have a verdict before the gate decides (a smaller wave decides once all have one)', example: 5 })
  @IsInt()
  @Min(1)
  minEvaluated!: number;

  @ApiPropertyOptional({ description: 'Share of the wave’s succeeded devices that must have finished their bake before the next wave starts', default: 100 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(100)
  minEvaluatedPercent?: number;

  @ApiProperty({ description: 'The gate trips when the unhealthy share of the wave’s evaluated devices is above this percentage', example: 10 })
  @IsNumber()
  @Min(0)
  @Max(100)
  maxUnhealthyPercent!: number;

  @ApiPropertyOptional({ description: 'The gate also trips when more than this many of the wave’s devices are unhealthy' })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxUnhealthy?: number;

  @ApiProperty({ enum: GATE_ACTIONS, description: 'What a tripped gate does: `revert` every touched device to its own previous version, `pause`, or `abort` (no revert)', example: 'revert' })
  @IsIn(GATE_ACTIONS)
  action!: GateAction;

  @ApiPropertyOptional({ description: 'Failing evaluations in a row that make a device unhealthy', default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  failureLimit?: number;

  @ApiPropertyOptional({ description: 'A device with no verdict this long after its success was confirmed is inconclusive; default 2 × bakeSeconds + 600' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * DAY_SECONDS)
  maxBakeSeconds?: number;

  @ApiPropertyOptional({ description: 'Inconclusive share of the evaluated devices above which inconclusiveAction applies', default: 0 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(100)
  maxInconclusivePercent?: number;

  @ApiPropertyOptional({ enum: INCONCLUSIVE_ACTIONS, description: 'What too many inconclusive devices do', default: 'pause' })
  @IsOptional()
  @IsIn(INCONCLUSIVE_ACTIONS)
  inconclusiveAction?: InconclusiveAction;

  @ApiPropertyOptional({ description: 'Firmware rollouts: when the rollout reverts (the gate or an operator), quarantine its artifact: new rollouts with it are refused (409) unless `force: true`', default: false })
  @IsOptional()
  @IsBoolean()
  quarantine?: boolean;

  @ApiPropertyOptional({ type: HealthSignalsDto, description: 'Signals beyond the checks; each is decisive unless a dry run' })
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthSignalsDto)
  signals?: HealthSignalsDto;
}
