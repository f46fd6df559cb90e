import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQueryDto } from '@edgefleet/api';
import { DEVICE_JOB_STATUSES, type DeviceJobStatus, ROLLOUT_STATES, ROLLOUT_TYPES, type RolloutState, type RolloutType } from '@edgefleet/contracts';
import { DEVICE_HEALTH, type DeviceHealth, HEALTH_OPS, type HealthOp } from './health/health-spec';
import type { RolloutDecision } from './health/rollout-decision.repository';
import type { DeviceRolloutJob, RolloutJob, StatusCounts } from './rollout';
import { HealthGateDto } from './health/health.dto';
import { RolloutScheduleDto, RolloutStrategyDto, RolloutTargetDto } from './rollout-request.dto';
import type { RolloutPreview, RolloutView } from './rollout.service';

export class StatusCountsDto implements StatusCounts {
  @ApiProperty({ description: 'Waiting for its wave, a free slot, or a retry' }) queued!: number;
  @ApiProperty({ description: 'Its turn came while the device was offline; sent when it connects' }) pending_offline!: number;
  @ApiProperty({ description: 'Job sent, no answer yet' }) notified!: number;
  @ApiProperty({ description: 'Device accepted the job' }) accepted!: number;
  @ApiProperty({ description: 'Device is downloading' }) downloading!: number;
  @ApiProperty({ description: 'Device is installing' }) installing!: number;
  @ApiProperty({ description: 'Device is rebooting (or reported success and its firmware version is not confirmed yet)' }) rebooting!: number;
  @ApiProperty({ description: 'Finished; firmware jobs only once the reported firmware.version matches' }) succeeded!: number;
  @ApiProperty({ description: 'Device reported failure and no retries were left' }) failed!: number;
  @ApiProperty({ description: 'Device refused the job' }) rejected!: number;
  @ApiProperty({ description: 'No final answer within deviceTimeoutSeconds (or offline past offlineTimeoutSeconds), no retries left' }) timed_out!: number;
  @ApiProperty({ description: 'Cancelled by an operator, or never started because the rollout aborted' }) cancelled!: number;
}

export class WaveProgressDto {
  @ApiProperty({ description: 'Wave index, from 0' }) wave!: number;
  @ApiProperty({ description: 'Cumulative percentage of targets this wave reaches' }) percent!: number;
  @ApiProperty({ description: 'Devices in this wave' }) total!: number;
  @ApiProperty({ type: StatusCountsDto, description: 'Devices of this wave per job status' }) counts!: StatusCountsDto;
}

export class WindowStatusDto {
  @ApiProperty({ description: 'The maintenance window is open now: devices may start' }) open!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'While closed: when it opens next (a running rollout waits for it)' }) nextOpenAt!: string | null;
}

export class RolloutDto {
  @ApiProperty({ description: 'Rollout id' }) id!: string;
  @ApiProperty({ description: 'Name' }) name!: string;
  @ApiProperty({ enum: ROLLOUT_TYPES, description: 'What is rolled out' }) type!: RolloutType;
  @ApiProperty({ enum: ROLLOUT_STATES, description: 'scheduled → running ⇄ paused → completed | aborted | cancelled; a tripped health gate with action revert: running → reverting → reverted' }) state!: RolloutState;
  @ApiProperty({ type: String, nullable: true, description: 'Why it aborted, paused on its health gate, reverted (naming the check that tripped) or was cancelled, devices left out, or a completion summary' }) reason!: string | null;
  @ApiPropertyOptional({ description: 'Firmware rollouts: the artifact' }) artifactId?: string;
  @ApiPropertyOptional({ description: 'Firmware rollouts: the version devices must report to succeed' }) artifactVersion?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Config rollouts: the config merged into desired state' }) config?: Record<string, unknown>;
  @ApiProperty({ type: RolloutTargetDto, description: 'The target as given' }) target!: RolloutTargetDto;
  @ApiProperty({ type: RolloutStrategyDto, description: 'The strategy with defaults filled in' }) strategy!: RolloutStrategyDto;
  @ApiProperty({ type: RolloutScheduleDto, description: 'The schedule' }) schedule!: RolloutScheduleDto;
  @ApiPropertyOptional({ type: WindowStatusDto, description: 'With a maintenance window: open now, or when it opens next' }) window?: WindowStatusDto;
  @ApiProperty({ description: 'Index (from 0) of the wave devices are being started from' }) currentWave!: number;
  @ApiProperty({ description: 'Devices in the target list, frozen when the rollout starts (0 until then); with includeNewDevices it grows as devices come to match' }) targetCount!: number;
  @ApiProperty({ description: 'Devices matched by the target but left out (artifact not for their type): at the start, and with includeNewDevices as of the last check' }) excludedCount!: number;
  @ApiProperty({ type: StatusCountsDto, description: 'Devices per job status' }) counts!: StatusCountsDto;
  @ApiProperty({ type: [WaveProgressDto], description: 'Progress of each wave' }) waves!: WaveProgressDto[];
  @ApiProperty({ type: StatusCountsDto, description: 'Revert jobs (back to each device’s own previous version) per job status; a device with no known previous version counts as cancelled' }) revertCounts!: StatusCountsDto;
  @ApiProperty({ description: 'Highest wave whose health gate passed (or an operator promoted); -1 before any' }) gateWave!: number;
  @ApiProperty({ description: 'Name of the API key that created it' }) createdBy!: string;
  @ApiProperty({ description: 'Creation time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'When it started (targets frozen)' }) startedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'When it reached completed, aborted or cancelled' }) finishedAt!: string | null;
  @ApiProperty({ description: 'Last change' }) updatedAt!: string;
}

export class RolloutPageDto {
  @ApiProperty({ type: [RolloutDto], description: 'Rollouts, newest first' }) items!: RolloutDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' }) nextCursor!: string | null;
}

export class RolloutListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROLLOUT_STATES, description: 'Only rollouts in this state' })
  @IsOptional()
  @IsIn(ROLLOUT_STATES)
  state?: RolloutState;
}

export class RolloutJobQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEVICE_JOB_STATUSES, description: 'Only devices whose job is in this status' })
  @IsOptional()
  @IsIn(DEVICE_JOB_STATUSES)
  status?: DeviceJobStatus;

  @ApiPropertyOptional({ description: 'Only devices of this wave (index from 0)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(19)
  wave?: number;
}

export class HealthSampleDto {
  @ApiProperty({ description: 'Reported-state path the check reads' }) path!: string;
  @ApiProperty({ enum: HEALTH_OPS, description: 'Comparison' }) op!: HealthOp;
  @ApiProperty({ description: 'The check’s value (for a relative check, the device’s computed threshold)', nullable: true, oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] }) value!: unknown;
  @ApiProperty({ description: 'What the device reported at that path', nullable: true }) actual!: unknown;
  @ApiProperty({ description: 'Whether it passed' }) passed!: boolean;
  @ApiProperty({ description: 'When it was read' }) at!: string;
  @ApiPropertyOptional({ description: 'A dry-run check: recorded, never acted on' }) dryRun?: boolean;
  @ApiPropertyOptional({ description: 'A relative check’s baseline: the device’s own value at `path` when its job was dispatched (`value` is baseline × factor + offset)' }) baseline?: number;
  @ApiPropertyOptional({ enum: ['wentDark', 'versionRegression', 'reconnectLoop'], description: 'Set on a signal’s sample (`offlineSeconds`, `firmware.version`, `reconnects`)' }) signal?: string;
}

export class DeviceRevertDto {
  @ApiProperty({ description: 'The revert job id (a job of its own, with the same topics and success rule)' }) jobId!: string;
  @ApiProperty({ enum: DEVICE_JOB_STATUSES, description: 'Revert job status; `cancelled` with lastError when no previous version is known' }) status!: DeviceJobStatus;
  @ApiProperty({ description: 'Times it was sent' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Last failure reason, or why it was not sent' }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Firmware: the version the device goes back to' }) version!: string | null;
  @ApiProperty({
    enum: DEVICE_HEALTH,
    nullable: true,
    description: 'Its verification bake (health-gated rollouts, once the revert succeeded): the same checks and signals on the version it went back to; null before',
  })
  health!: DeviceHealth | null;
  @ApiProperty({ type: [HealthSampleDto], description: 'The samples that decided the verification verdict' }) samples!: HealthSampleDto[];
}

export class DeviceHealthDto {
  @ApiProperty({ enum: DEVICE_HEALTH, nullable: true, description: 'pending | healthy | unhealthy | inconclusive; null before the job succeeded or without a health gate' }) health!: DeviceHealth | null;
  @ApiProperty({ description: 'Online seconds baked since success was confirmed' }) bakedSeconds!: number;
  @ApiProperty({ type: [HealthSampleDto], description: 'The samples that decided the verdict (or the latest that changed the bake)' }) samples!: HealthSampleDto[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'What the device ran before, recorded at dispatch: firmware `{artifactId}`, config `{desired}`; null when unknown' }) previous!: unknown;
  @ApiProperty({ type: DeviceRevertDto, nullable: true, description: 'Its revert job, if it got one' }) revert!: DeviceRevertDto | null;
}

export class RolloutJobDto {
  @ApiProperty({ description: 'Job id, as in the device topics `devices/{id}/jobs/{jobId}`' }) jobId!: string;
  @ApiProperty({ description: 'Device id' }) deviceId!: string;
  @ApiProperty({ description: 'Wave index, from 0' }) wave!: number;
  @ApiProperty({ enum: DEVICE_JOB_STATUSES, description: 'Job status' }) status!: DeviceJobStatus;
  @ApiProperty({ description: 'Times the job was sent (1 + retries used)' }) attempts!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Last progress the device reported, 0-100' }) progress!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Last failure reason (device reason, timeout, cancellation)' }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'When the job was last sent' }) dispatchedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'When it reached a final status' }) finishedAt!: string | null;
  @ApiProperty({ description: 'Last change' }) updatedAt!: string;
  @ApiProperty({ enum: DEVICE_HEALTH, nullable: true, description: 'Health verdict (health-gated rollouts, once the job succeeded): pending | healthy | unhealthy | inconclusive' }) health!: DeviceHealth | null;
  @ApiProperty({ type: DeviceHealthDto, nullable: true, description: 'Bake, deciding samples, previous version and revert job' }) healthDetail!: DeviceHealthDto | null;
}

export class DeviceRolloutJobDto extends RolloutJobDto {
  @ApiProperty({ description: 'Rollout id' }) rolloutId!: string;
  @ApiProperty({ description: 'Rollout name' }) rolloutName!: string;
  @ApiProperty({ enum: ROLLOUT_STATES, description: 'Rollout state now' }) rolloutState!: RolloutState;
  @ApiProperty({ enum: ROLLOUT_TYPES, description: 'Firmware or config' }) rolloutType!: RolloutType;
}

export class DeviceJobsQueryDto {
  @ApiPropertyOptional({ description: 'At most this many jobs, 1-1000', default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}

export class DeviceRolloutJobListDto {
  @ApiProperty({ type: [DeviceRolloutJobDto], description: "The device's jobs, most recently changed first" }) items!: DeviceRolloutJobDto[];
}

export class RolloutJobPageDto {
  @ApiProperty({ type: [RolloutJobDto], description: 'Jobs ordered by device id' }) items!: RolloutJobDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' }) nextCursor!: string | null;
}

export class PreviewMismatchDto {
  @ApiProperty({ description: 'Device id' }) deviceId!: string;
  @ApiProperty({ description: 'Its type, which the artifact is not for' }) type!: string;
}

export class PreviewWaveDto {
  @ApiProperty({ description: 'Wave index, from 0' }) wave!: number;
  @ApiProperty({ description: 'Cumulative percentage' }) percent!: number;
  @ApiProperty({ description: 'Devices in this wave' }) count!: number;
  @ApiProperty({ description: 'Of them, how many are offline now (they would wait as pending_offline)' }) offline!: number;
  @ApiProperty({ type: [String], description: 'The devices of this wave, in dispatch order' }) deviceIds!: string[];
}

export class PreviewHealthDto {
  @ApiProperty({ type: HealthGateDto, description: 'The health gate with its defaults filled in' }) gate!: HealthGateDto;
  @ApiProperty({ description: 'Targets a revert could send back to a known previous version (firmware: a confirmed earlier firmware job whose artifact exists; config: all)' }) revertTargetsKnown!: number;
  @ApiProperty({ description: 'Targets with no known previous version: a revert would leave them as they are' }) revertTargetsUnknown!: number;
  @ApiProperty({ type: [String], description: 'Up to 100 of those, by id' }) unknownDeviceIds!: string[];
}

export class RolloutPreviewDto {
  @ApiProperty({ description: 'Devices the rollout would target if it started now' }) targetCount!: number;
  @ApiProperty({ type: [PreviewMismatchDto], description: 'Firmware: matched devices the artifact is not for (creating the rollout is refused while there are any)' })
  mismatched!: PreviewMismatchDto[];
  @ApiProperty({ type: [PreviewWaveDto], description: 'Wave membership' }) waves!: PreviewWaveDto[];
  @ApiPropertyOptional({ type: PreviewHealthDto, description: 'With strategy.health: the health plan' }) health?: PreviewHealthDto;
}

export function toRolloutDto({ rollout, progress, window }: RolloutView): RolloutDto {
  const { definition, payload } = rollout;
  return {
    id: rollout.id,
    name: rollout.name,
    type: rollout.type,
    state: rollout.state,
    reason: rollout.reason,
    ...(payload.type === 'firmware' ? { artifactId: payload.artifact.id, artifactVersion: payload.artifact.version } : { config: payload.config }),
    target: definition.target,
    strategy: definition.strategy,
    schedule: definition.schedule,
    ...(window ? { window: { open: window.open, nextOpenAt: window.nextOpenAt?.toISOString() ?? null } } : {}),
    currentWave: rollout.currentWave,
    targetCount: rollout.targetCount,
    excludedCount: rollout.excludedCount,
    counts: progress.counts,
    waves: progress.waves,
    revertCounts: progress.revert,
    gateWave: rollout.gateWave,
    createdBy: rollout.createdBy,
    createdAt: rollout.createdAt.toISOString(),
    startedAt: rollout.startedAt?.toISOString() ?? null,
    finishedAt: rollout.finishedAt?.toISOString() ?? null,
    updatedAt: rollout.updatedAt.toISOString(),
  };
}

export function toRolloutJobDto(job: RolloutJob): RolloutJobDto {
  return {
    jobId: job.jobId,
    deviceId: job.deviceId,
    wave: job.wave,
    status: job.status,
    attempts: job.attempts,
    progress: job.progress,
    lastError: job.lastError,
    dispatchedAt: job.dispatchedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    health: job.health?.health ?? null,
    healthDetail: job.health
      ? { ...job.health, revert: job.health.revert ? { ...job.health.revert, status: job.health.revert.status as DeviceJobStatus } : null }
      : null,
  };
}

export class RolloutDecisionDto {
  @ApiProperty({ description: 'Decision id (increasing)' }) id!: string;
  @ApiProperty({ description: 'When' }) at!: string;
  @ApiProperty({ description: 'Wave index the gate judged' }) wave!: number;
  @ApiProperty({ description: 'Rule that fired: maxUnhealthyPercent, maxUnhealthy, maxInconclusivePercent, passed, manual, or revertVerification (every succeeded revert has its verification verdict)' }) rule!: string;
  @ApiProperty({ description: 'promote, pause, abort or revert (revertDevice for a one-device revert); verified or unverified for revertVerification' }) action!: string;
  @ApiProperty({ enum: ['rule', 'operator'], description: 'Whether the gate’s rule or a person acted' }) actedBy!: string;
  @ApiProperty({ description: '`health gate`, or the API key name of the operator' }) actorName!: string;
  @ApiProperty({ description: 'Why, in words (names the failing check)' }) reason!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '`thresholds`, `counts` per verdict, and the `worst` devices with their samples' }) detail!: Record<string, unknown>;
}

export class RolloutDecisionPageDto {
  @ApiProperty({ type: [RolloutDecisionDto], description: 'Decisions, oldest first' }) items!: RolloutDecisionDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' }) nextCursor!: string | null;
}

export function toRolloutDecisionDto(decision: RolloutDecision): RolloutDecisionDto {
  return { ...decision, at: decision.at.toISOString() };
}

export function toRolloutPreviewDto(preview: RolloutPreview): RolloutPreviewDto {
  return { targetCount: preview.targetCount, mismatched: preview.mismatched, waves: preview.waves, ...(preview.health ? { health: preview.health } : {}) };
}

export function toDeviceRolloutJobDto(job: DeviceRolloutJob): DeviceRolloutJobDto {
  return { ...toRolloutJobDto(job), rolloutId: job.rolloutId, rolloutName: job.rolloutName, rolloutState: job.rolloutState, rolloutType: job.rolloutType };
}
