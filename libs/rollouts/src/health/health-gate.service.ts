import { Injectable } from '@nestjs/common';
import { ArtifactService } from '@edgefleet/artifacts';
import { AuditService } from '@edgefleet/audit';
import type { Actor } from '@edgefleet/common';
import type { DbTx } from '@edgefleet/database';
import type { Rollout, RolloutChanges } from '../rollout';
import { RolloutJobRepository } from '../rollout-job.repository';
import { type BakeWrite, RolloutHealthRepository } from './rollout-health.repository';
import { type NewDecision, type RolloutDecision, RolloutDecisionRepository } from './rollout-decision.repository';
import { impliedBake, isImplied, newBake, stepBake } from './device-bake';
import { type HealthSpec, describeCheck } from './health-spec';
import { type GateDecision, decideGate } from './wave-gate';

const WORST_SHOWN = 10;
/** The rule of the decision that closes a revert's verification bakes. */
const REVERT_VERIFICATION = 'revertVerification';
/** Bakes are advanced at most this often per rollout (the tick may be faster), and at least every tenth of a bake. */
const MAX_BAKE_INTERVAL_MS = 5_000;

export const SYSTEM_ACTOR: Actor = { id: null, name: 'health gate', role: 'system' };

/** Gate work inside a scheduler step (the rollout's row lock is held): bakes, the gate's decision, its record. */
@Injectable()
export class HealthGate {
  private readonly bakedAt = new Map<string, number>();

  constructor(
    private readonly health: RolloutHealthRepository,
    private readonly decisions: RolloutDecisionRepository,
    private readonly jobs: RolloutJobRepository,
    private readonly audit: AuditService,
    private readonly artifacts: ArtifactService,
  ) {}

  /**
   * Advances the bake of every device of the rollout that has succeeded and has no verdict:
   * one read, and one write of the rows whose bake changed. A device online since its success
   * with nothing failing has no record (it is implied, see `impliedBake`): one that stays so is
   * written once, at its verdict.
   */
  async bake(rollout: Rollout, spec: HealthSpec, tickMs: number, now: Date, tx: DbTx, phase: 'install' | 'revert' = 'install'): Promise<void> {
    const interval = Math.max(tickMs, Math.min(MAX_BAKE_INTERVAL_MS, spec.bakeSeconds * 100));
    const key = `${rollout.id}/${phase}`;
    const last = this.bakedAt.get(key);
    if (last !== undefined && now.getTime() - last < interval) return;
    if (this.bakedAt.size >= 1024) this.bakedAt.clear();
    this.bakedAt.set(key, now.getTime());
    const writes: BakeWrite[] = [];
    const expectedVersion = rollout.payload.type === 'firmware' ? rollout.payload.artifact.version : null;
    for (const job of await this.health.baking(rollout.id, spec, expectedVersion, tx, phase)) {
      const implied = job.record ? null : impliedBake(job.observation);
      const record = job.record ?? implied ?? newBake();
      const next = stepBake(spec, record, job.observation, now);
      if (implied) {
        if (!isImplied(next ?? implied, job.observation)) writes.push({ jobId: job.jobId, record: next ?? implied });
      } else if (next) writes.push({ jobId: job.jobId, record: next });
      else if (!job.record) writes.push({ jobId: job.jobId, record });
    }
    await this.health.writeBakes(writes, tx);
  }

  /** Forces the next bake() of this rollout to run (a wave just settled, a verdict is near). */
  forget(rolloutId: string): void {
    this.bakedAt.delete(`${rolloutId}/install`);
    this.bakedAt.delete(`${rolloutId}/revert`);
  }

  /**
   * Whether every succeeded revert of the rollout has the verdict of its verification bake (the
   * same checks and signals, on the version it went back to). Once they all have, the outcome is
   * recorded, once, as a `revertVerification` decision naming the devices not healthy on their
   * previous version. Nothing more is done about them: a device is reverted at most once.
   */
  async revertsVerified(rollout: Rollout, tx: DbTx): Promise<boolean> {
    const verdicts = await this.health.revertVerdicts(rollout.id, WORST_SHOWN, tx);
    if (verdicts.pending > 0) return false;
    if (verdicts.succeeded === 0 || (await this.decisions.has(rollout.id, REVERT_VERIFICATION, tx))) return true;
    const { notHealthy, ...counts } = verdicts;
    const bad = counts.unhealthy + counts.inconclusive;
    const entry: NewDecision = {
      rolloutId: rollout.id,
      wave: rollout.currentWave,
      rule: REVERT_VERIFICATION,
      action: bad ? 'unverified' : 'verified',
      actedBy: 'rule',
      actorName: SYSTEM_ACTOR.name,
      reason:
        `revert verification: ${counts.healthy} healthy, ${counts.unhealthy} unhealthy, ${counts.inconclusive} inconclusive of ${counts.succeeded} reverted device(s)` +
        (bad ? `; not healthy on their previous version: ${notHealthy.join(', ')}${bad > notHealthy.length ? ` and ${bad - notHealthy.length} more` : ''}` : ''),
      detail: { counts, notHealthy },
    };
    const recorded = await this.decisions.append(entry, tx);
    await this.audit.record(SYSTEM_ACTOR, { action: `rollout.gate.${entry.action}`, resourceType: 'rollout', resourceId: rollout.id, after: { ...entry, id: recorded.id } }, tx);
    return true;
  }

  async judge(rollout: Rollout, spec: HealthSpec, wave: number, settled: boolean, tx: DbTx): Promise<GateDecision> {
    return decideGate(spec, { wave, settled, ...(await this.health.verdictCounts(rollout.id, wave, tx)) });
  }

  /** Appends the decision, with the worst devices and their values, to the record and the audit log. */
  async record(rollout: Rollout, spec: HealthSpec | undefined, wave: number, decision: { rule: string; action: string; reason: string }, actor: Actor | null, tx: DbTx): Promise<RolloutDecision> {
    const counts = await this.health.verdictCounts(rollout.id, wave, tx);
    const worst = await this.health.worstDevices(rollout.id, wave, WORST_SHOWN, tx);
    const entry: NewDecision = {
      rolloutId: rollout.id,
      wave,
      rule: decision.rule,
      action: decision.action,
      actedBy: actor ? 'operator' : 'rule',
      actorName: actor?.name ?? SYSTEM_ACTOR.name,
      reason: decision.reason,
      detail: {
        thresholds: spec ? { minEvaluated: spec.minEvaluated, minEvaluatedPercent: spec.minEvaluatedPercent, maxUnhealthyPercent: spec.maxUnhealthyPercent, maxUnhealthy: spec.maxUnhealthy ?? null, maxInconclusivePercent: spec.maxInconclusivePercent } : null,
        counts,
        worst,
      },
    };
    const recorded = await this.decisions.append(entry, tx);
    await this.audit.record(actor ?? SYSTEM_ACTOR, { action: `rollout.gate.${decision.action}`, resourceType: 'rollout', resourceId: rollout.id, after: { ...entry, id: recorded.id } }, tx);
    return recorded;
  }

  /** The reason a tripped gate gives: the failing checks of its worst devices, then the counts. */
  async tripReason(rollout: Rollout, spec: HealthSpec, wave: number, decision: { reason: string }, tx: DbTx): Promise<string> {
    const worst = await this.health.worstDevices(rollout.id, wave, WORST_SHOWN, tx);
    const failing = new Map<string, number>();
    for (const device of worst) {
      for (const sample of device.samples) {
        if (sample.passed || sample.dryRun) continue;
        const check = sample.signal ?? spec.checks.find((c) => c.path === sample.path && c.op === sample.op);
        const name = typeof check === 'string' ? check : check ? describeCheck(check) : null;
        if (name) failing.set(name, (failing.get(name) ?? 0) + 1);
      }
    }
    const checks = [...failing].map(([check, n]) => `${check} failed on ${n} device(s)`).join(', ');
    return `health gate tripped${checks ? `: ${checks}` : ''}; ${decision.reason}`;
  }

  /**
   * Starts a revert: waiting install jobs are cancelled (in-flight ones finish, and get a revert if
   * they succeed), and every succeeded device gets a revert job to its own previous version.
   */
  async startRevert(rollout: Rollout, reason: string, now: Date, tx: DbTx, actor: Actor | null = null): Promise<RolloutChanges> {
    await this.cancelWaitingInstalls(rollout, reason, tx);
    await this.health.insertReverts(rollout.id, rollout.type, tx);
    if (rollout.payload.type === 'firmware' && rollout.definition.strategy.health?.quarantine) {
      await this.artifacts.quarantine(actor ?? SYSTEM_ACTOR, rollout.payload.artifact.id, `rollout '${rollout.name}' (${rollout.id}) reverted: ${reason}`, tx);
    }
    return { state: 'reverting', reason, revertingSince: now };
  }

  /**
   * One step of a reverting rollout before dispatch: install jobs still waiting are cancelled (a retry
   * queued by a report that raced the revert included), and devices whose install succeeded since get
   * their revert. Returns the failed reverts: any pauses the rollout.
   */
  async continueRevert(rollout: Rollout, tx: DbTx): Promise<{ count: number; deviceIds: string[] }> {
    await this.cancelWaitingInstalls(rollout, rollout.reason ?? 'health gate', tx);
    await this.health.insertReverts(rollout.id, rollout.type, tx);
    return this.health.failedReverts(rollout.id, WORST_SHOWN, tx);
  }

  private async cancelWaitingInstalls(rollout: Rollout, reason: string, tx: DbTx): Promise<void> {
    await this.jobs.cancel(rollout.id, `rollout reverting: ${reason}`, true, tx, ['install']);
  }
}
