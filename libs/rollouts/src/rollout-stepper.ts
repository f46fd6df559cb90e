import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { SYSTEM_ACTOR } from '@edgefleet/common';
import type { DbTx } from '@edgefleet/database';
import { thresholdBreach } from './failure-threshold';
import { HealthGate } from './health/health-gate.service';
import { type HealthSpec, baselinePaths } from './health/health-spec';
import { WindowSchedule } from './maintenance-window';
import { NewDeviceChecks } from './new-device-checks';
import type { JobRef, Rollout, RolloutChanges } from './rollout';
import { ROLLOUTS_OPTIONS, type RolloutsOptions } from './rollout-options';
import { finalCounts, inFlightCount, inFlightTotal, settledThrough, summarize, unfinishedCount } from './rollout-progress';
import { RolloutJobRepository } from './rollout-job.repository';
import { RolloutTargets, leftOutReason } from './rollout-targets';
import { RolloutRepository } from './rollout.repository';

/** A rollout planning at least this many jobs refreshes the table's statistics (see RolloutJobRepository.analyze). */
const ANALYZE_AFTER_JOBS = 1_000;

/** What a step decided that devices must hear about, sent once its transaction has committed. */
export interface StepEffects {
  send: JobRef[];
  withdraw: JobRef[];
}

/**
 * One scheduling step of one rollout, inside a transaction holding the rollout's row lock:
 * start at startAt, expire deadlines, drop decommissioned devices, confirm firmware, add devices
 * that came to match (includeNewDevices), abort over the failure threshold, advance settled
 * waves, complete, and claim jobs for dispatch within maxInFlight and the maintenance window.
 */
@Injectable()
export class RolloutStepper {
  private readonly windows = new Map<string, WindowSchedule>();

  constructor(
    private readonly rollouts: RolloutRepository,
    private readonly jobs: RolloutJobRepository,
    private readonly targets: RolloutTargets,
    private readonly newDevices: NewDeviceChecks,
    private readonly audit: AuditService,
    private readonly gate: HealthGate,
    @Inject(ROLLOUTS_OPTIONS) private readonly options: RolloutsOptions,
  ) {}

  async step(current: Rollout, tx: DbTx, now = new Date()): Promise<StepEffects> {
    const effects: StepEffects = { send: [], withdraw: [] };
    const changes: RolloutChanges = {};
    let rollout = current;
    if (rollout.state === 'scheduled') {
      if (rollout.startAt && rollout.startAt > now) {
        await this.rollouts.update(rollout.id, { nextTickAt: rollout.startAt }, tx);
        return effects;
      }
      Object.assign(changes, await this.start(rollout, now, tx));
      rollout = { ...rollout, ...changes };
    }
    const strategy = rollout.definition.strategy;
    // After an abort, in-flight devices finish for good: a retry would never be sent.
    const retries = rollout.state === 'aborted' ? 0 : strategy.retries;
    const expired = await this.jobs.expireDeadlines(rollout.id, retries, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, tx);
    effects.withdraw.push(...expired.retried, ...expired.timedOut);
    await this.jobs.cancelOfRemovedDevices(rollout.id, tx);
    if (rollout.payload.type === 'firmware') effects.withdraw.push(...(await this.jobs.confirmFirmware(rollout.id, rollout.payload.artifact.version, tx)));
    const follows = rollout.definition.target.includeNewDevices === true && (rollout.state === 'running' || rollout.state === 'paused');
    let checkedNow = false;
    if (follows && this.newDevices.due(rollout.id, now)) {
      await this.addNewMatches(rollout, changes, now, tx);
      rollout = { ...rollout, ...changes };
      checkedNow = true;
    }

    const health = rollout.revertingSince ? undefined : strategy.health;
    if (health && (rollout.state === 'running' || rollout.state === 'paused')) await this.gate.bake(rollout, health, this.options.tickIntervalMs, now, tx);

    const progress = summarize(await this.jobs.countsByWave(rollout.id, tx), strategy.waves);
    // Devices sent back bake on the version they went back to (whole-rollout and one-device reverts).
    if (strategy.health && progress.revert.succeeded > 0) await this.gate.bake(rollout, strategy.health, this.options.tickIntervalMs, now, tx, 'revert');
    let state = rollout.state;
    if (state === 'running' || state === 'paused') {
      const breach = thresholdBreach(finalCounts(progress.counts), strategy.failureThreshold);
      if (breach) {
        state = changes.state = 'aborted';
        changes.reason = breach;
        changes.finishedAt = now;
        // An automatic decision is audited like an operator's, by the system actor, in the same transaction.
        await this.audit.record(
          SYSTEM_ACTOR,
          { action: 'rollout.abort', resourceType: 'rollout', resourceId: rollout.id, before: { state: rollout.state }, after: { state, reason: breach } },
          tx,
        );
      }
    }
    if (health && (state === 'running' || state === 'paused') && rollout.gateWave < rollout.currentWave) {
      Object.assign(changes, await this.judgeGate({ ...rollout, ...changes }, health, settledThrough(progress, rollout.currentWave), now, tx));
      state = changes.state ?? state;
    }
    if (state === 'reverting') {
      const failed = await this.gate.continueRevert({ ...rollout, ...changes }, tx);
      if (failed.count > 0) {
        state = changes.state = 'paused';
        changes.reason = `revert failed on ${failed.count} device(s): ${idsAndMore(failed.deviceIds, failed.count)}; resume to retry them; ${tripReasonOf(changes.reason ?? rollout.reason)}`;
      }
    }
    // In-flight devices finish; nobody new starts (CONTRACT §4). Repeated while any are in flight, so a
    // retry queued by a report that raced the abort is cancelled too rather than left waiting forever.
    if (state === 'aborted') await this.jobs.cancel(rollout.id, `rollout aborted: ${changes.reason ?? rollout.reason}`, true, tx);
    if (state === 'running') {
      let wave = rollout.currentWave;
      let settledAt = rollout.waveSettledAt;
      const lastWave = strategy.waves.length - 1;
      const gateWave = changes.gateWave ?? rollout.gateWave;
      while (settledThrough(progress, wave)) {
        // The next wave (or completion) waits for this wave's health gate.
        if (health && gateWave < wave) break;
        if (wave >= lastWave) {
          // A one-device revert an operator asked for finishes before the rollout does.
          if (unfinishedCount(progress.revert) > 0) break;
          // Without this last look, a device that came to match since the previous check would miss a rollout ending now.
          if (follows && !checkedNow && (await this.addNewMatches(rollout, changes, now, tx)) > 0) break;
          state = changes.state = 'completed';
          changes.finishedAt = now;
          changes.reason = completionSummary(progress.counts.succeeded, changes.targetCount ?? rollout.targetCount);
          break;
        }
        settledAt ??= now;
        if (now.getTime() < settledAt.getTime() + strategy.bakeTimeSeconds * 1000) break;
        wave++;
        settledAt = null;
      }
      if (wave !== rollout.currentWave) changes.currentWave = wave;
      if (settledAt?.getTime() !== rollout.waveSettledAt?.getTime()) changes.waveSettledAt = settledAt;
      if (state === 'running' && this.windowOpen(rollout, now)) {
        const room = strategy.maxInFlight - inFlightTotal(progress);
        effects.send.push(...(await this.jobs.claimForDispatch(rollout.id, wave, room, strategy.deviceTimeoutSeconds, rollout.payload, tx, baselinePaths(strategy.health))));
        await this.jobs.markPendingOffline(rollout.id, wave, strategy.offlineTimeoutSeconds, tx);
      }
    }
    if (state === 'reverting') {
      // Reverts are not held by the maintenance window: they undo what the rollout did.
      const after = summarize(await this.jobs.countsByWave(rollout.id, tx), strategy.waves);
      if (inFlightCount(after.counts) === 0 && unfinishedCount(after.revert) === 0) {
        state = changes.state = 'reverted';
        changes.finishedAt = now;
        changes.reason = tripReasonOf(changes.reason ?? rollout.reason);
      } else {
        const room = strategy.maxInFlight - inFlightTotal(after);
        effects.send.push(...(await this.jobs.claimForDispatch(rollout.id, -1, room, strategy.deviceTimeoutSeconds, rollout.payload, tx)));
        await this.jobs.markPendingOffline(rollout.id, -1, strategy.offlineTimeoutSeconds, tx);
      }
    }
    // Reverted once the reverts have settled, and stepped on until their verification bakes have
    // verdicts (the step that finds them all records the outcome).
    const verifying = state === 'reverted' && strategy.health !== undefined && !(await this.gate.revertsVerified({ ...rollout, ...changes }, tx));
    const done =
      state === 'completed' ||
      state === 'cancelled' ||
      (state === 'reverted' && !verifying) ||
      (state === 'aborted' && inFlightCount(progress.counts) === 0 && unfinishedCount(progress.counts) === 0);
    changes.nextTickAt = done ? null : new Date(now.getTime() + this.options.tickIntervalMs);
    if (done || (state !== 'running' && state !== 'paused')) this.newDevices.forget(rollout.id);
    await this.rollouts.update(rollout.id, changes, tx);
    return effects;
  }

  /**
   * The current wave's gate: a trip acts at once (pause, abort, or the start of a revert) and is
   * recorded; a pass moves gateWave so the wave loop may promote. A `pause` while already paused
   * changes nothing and is not recorded again.
   */
  private async judgeGate(rollout: Rollout, health: HealthSpec, settled: boolean, now: Date, tx: DbTx): Promise<RolloutChanges> {
    const wave = rollout.currentWave;
    const decision = await this.gate.judge(rollout, health, wave, settled, tx);
    if (decision.action === 'wait') return {};
    if (decision.action === 'promote') {
      await this.gate.record(rollout, health, wave, decision, null, tx);
      return { gateWave: wave };
    }
    if (decision.action === 'pause' && rollout.state === 'paused') return {};
    const reason = await this.gate.tripReason(rollout, health, wave, decision, tx);
    await this.gate.record(rollout, health, wave, { ...decision, reason }, null, tx);
    if (decision.action === 'pause') return { state: 'paused', reason };
    if (decision.action === 'abort') {
      await this.jobs.cancel(rollout.id, `rollout aborted: ${reason}`, true, tx);
      return { state: 'aborted', reason, finishedAt: now };
    }
    return this.gate.startRevert(rollout, reason, now, tx);
  }

  /** Whether new devices may start now: always, unless the rollout has a maintenance window that is closed. */
  windowOpen(rollout: Rollout, now: Date): boolean {
    const window = rollout.definition.schedule.window;
    if (!window) return true;
    let schedule = this.windows.get(rollout.id);
    if (!schedule) {
      if (this.windows.size >= 1024) this.windows.clear();
      schedule = new WindowSchedule(window);
      this.windows.set(rollout.id, schedule);
    }
    return schedule.isOpen(now);
  }

  /** Start (now, or at startAt): freeze the target list (devices the artifact is not built for are left out and counted). */
  async start(rollout: Rollout, now: Date, tx: DbTx): Promise<RolloutChanges> {
    const { targets, mismatched } = await this.targets.resolve(rollout.definition.target, rollout.payload, tx);
    await this.jobs.insertPlanned(rollout.id, this.targets.plan(rollout.name, rollout.payload, targets, rollout.definition.strategy.waves), tx);
    if (targets.length >= ANALYZE_AFTER_JOBS) await this.jobs.analyze(tx);
    if (rollout.definition.target.includeNewDevices) this.newDevices.checked(rollout.id, now);
    const changes: RolloutChanges = { state: 'running', startedAt: now, targetCount: targets.length, excludedCount: mismatched.length, currentWave: 0 };
    if (mismatched.length) changes.reason = leftOutReason(mismatched.length, mismatched.map((t) => t.deviceId));
    return changes;
  }

  /**
   * Jobs for devices that came to match, into `changes` (targetCount grows; excludedCount and its
   * reason follow the recount). While running or paused the reason is only ever this one.
   */
  private async addNewMatches(rollout: Rollout, changes: RolloutChanges, now: Date, tx: DbTx): Promise<number> {
    const found = await this.targets.addNewMatches(rollout, tx);
    this.newDevices.checked(rollout.id, now);
    if (found.added) changes.targetCount = rollout.targetCount + found.added;
    if (found.excluded !== rollout.excludedCount) {
      changes.excludedCount = found.excluded;
      changes.reason = found.excluded ? leftOutReason(found.excluded, found.excludedSample) : null;
    }
    return found.added;
  }
}

const REVERT_FAILED_NOTE = /^revert failed on [^;]*; resume to retry them; /;

/** A reverting rollout's reason without the note a failed revert put in front of it: the check that tripped. */
export function tripReasonOf(reason: string | null | undefined): string {
  return (reason ?? '').replace(REVERT_FAILED_NOTE, '');
}

/** The first ids of `count`, and how many more. */
function idsAndMore(ids: readonly string[], count: number): string {
  return `${ids.join(', ')}${count > ids.length ? ` and ${count - ids.length} more` : ''}`;
}

function completionSummary(succeeded: number, total: number): string | null {
  return succeeded === total ? null : `${succeeded} of ${total} devices succeeded`;
}
