import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError } from '@edgefleet/common';
import type { RolloutState } from '@edgefleet/contracts';
import { Transactor } from '@edgefleet/database';
import { JobPublisher } from './job-publisher';
import type { JobRef, Rollout, RolloutChanges } from './rollout';
import { HealthGate } from './health/health-gate.service';
import { RolloutHealthRepository } from './health/rollout-health.repository';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutJobRepository } from './rollout-job.repository';
import { settledThrough, summarize } from './rollout-progress';
import { tripReasonOf } from './rollout-stepper';
import { RolloutRepository } from './rollout.repository';
import { type RolloutView, RolloutService, auditView } from './rollout.service';

type Control = 'pause' | 'resume' | 'cancel' | 'promote' | 'revert' | 'revert-device';

const ALLOWED_FROM: Record<Control, RolloutState[]> = {
  pause: ['scheduled', 'running', 'reverting'],
  resume: ['paused'],
  cancel: ['scheduled', 'running', 'paused', 'reverting'],
  promote: ['running', 'paused'],
  revert: ['running', 'paused'],
  'revert-device': ['running', 'paused', 'reverting'],
};

/**
 * Operator controls. Pause stops new starts (in-flight devices finish); resume continues;
 * cancel ends the rollout and every unfinished job, and tells the devices. Each takes the
 * rollout's row lock, so it never interleaves with a scheduler step.
 */
@Injectable()
export class RolloutControlService {
  constructor(
    private readonly rollouts: RolloutRepository,
    private readonly jobs: RolloutJobRepository,
    private readonly health: RolloutHealthRepository,
    private readonly gate: HealthGate,
    private readonly reader: RolloutService,
    private readonly publisher: JobPublisher,
    private readonly scheduler: RolloutScheduler,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
  ) {}

  pause(actor: Actor, id: string): Promise<RolloutView> {
    return this.control(actor, id, 'pause', async () => ({ changes: { state: 'paused' }, withdrawn: [] }));
  }

  resume(actor: Actor, id: string): Promise<RolloutView> {
    return this.control(actor, id, 'resume', async (rollout, tx) => {
      if (rollout.revertingSince) {
        // A revert that failed on some devices: they get another round of attempts.
        await this.health.requeueFailedReverts(rollout.id, tx);
        return { changes: { state: 'reverting', reason: tripReasonOf(rollout.reason), nextTickAt: new Date() }, withdrawn: [] };
      }
      // A rollout paused before its start goes back to waiting for startAt.
      return { changes: { state: rollout.startedAt ? 'running' : 'scheduled', nextTickAt: rollout.startedAt ? new Date() : (rollout.startAt ?? new Date()) }, withdrawn: [] };
    });
  }

  /** Lets the current wave through its health gate whatever its verdicts (recorded as an operator decision), and runs on. */
  promote(actor: Actor, id: string): Promise<RolloutView> {
    return this.control(actor, id, 'promote', async (rollout, tx) => {
      if (!rollout.definition.strategy.health) throw new ConflictError('this rollout has no health gate to promote past');
      if (rollout.revertingSince) throw new ConflictError('this rollout is reverting');
      const progress = summarize(await this.jobs.countsByWave(rollout.id, tx), rollout.definition.strategy.waves);
      // Held: every device of the wave has finished its job and the gate has not passed it.
      if (rollout.gateWave >= rollout.currentWave || !settledThrough(progress, rollout.currentWave)) throw new ConflictError(`wave ${rollout.currentWave} is not held by its health gate`);
      const reason = `wave ${rollout.currentWave} promoted by ${actor.name}`;
      await this.gate.record(rollout, rollout.definition.strategy.health, rollout.currentWave, { rule: 'manual', action: 'promote', reason }, actor, tx);
      return { changes: { state: 'running', gateWave: rollout.currentWave, reason: null, nextTickAt: new Date() }, withdrawn: [] };
    });
  }

  /** Reverts the whole rollout: devices not started are cancelled, every succeeded device goes back to its own previous version. */
  revert(actor: Actor, id: string): Promise<RolloutView> {
    return this.control(actor, id, 'revert', async (rollout, tx) => {
      const reason = `reverted by ${actor.name}`;
      await this.gate.record(rollout, rollout.definition.strategy.health, rollout.currentWave, { rule: 'manual', action: 'revert', reason }, actor, tx);
      return { changes: { ...(await this.gate.startRevert(rollout, reason, new Date(), tx, actor)), nextTickAt: new Date() }, withdrawn: [] };
    });
  }

  /** Sends one device back to its previous version (its install job must have succeeded; at most one revert per device). */
  revertDevice(actor: Actor, id: string, deviceId: string): Promise<RolloutView> {
    return this.control(actor, id, 'revert-device', async (rollout, tx) => {
      const inserted = await this.health.insertReverts(rollout.id, rollout.type, tx, [deviceId]);
      if (inserted.queued + inserted.unknown === 0) throw new ConflictError(`device '${deviceId}' has no succeeded job in this rollout, or was reverted already`);
      const reason = inserted.queued ? `device ${deviceId} reverted by ${actor.name}` : `device ${deviceId}: no known previous version, left as it is`;
      await this.gate.record(rollout, rollout.definition.strategy.health, rollout.currentWave, { rule: 'manual', action: 'revertDevice', reason }, actor, tx);
      return { changes: { nextTickAt: new Date() }, withdrawn: [] };
    });
  }

  cancel(actor: Actor, id: string): Promise<RolloutView> {
    return this.control(actor, id, 'cancel', async (rollout, tx) => ({
      changes: { state: 'cancelled', reason: `cancelled by ${actor.name}`, finishedAt: new Date(), nextTickAt: null },
      withdrawn: await this.jobs.cancel(rollout.id, `rollout cancelled by ${actor.name}`, false, tx),
    }));
  }

  private async control(
    actor: Actor,
    id: string,
    action: Control,
    decide: (rollout: Rollout, tx: Parameters<Parameters<Transactor['run']>[0]>[0]) => Promise<{ changes: RolloutChanges; withdrawn: JobRef[] }>,
  ): Promise<RolloutView> {
    const { rollout, withdrawn } = await this.transactor.run(async (tx) => {
      const before = await this.rollouts.lock(id, tx);
      if (!before) throw new NotFoundError('rollout', id);
      if (!ALLOWED_FROM[action].includes(before.state)) throw new ConflictError(`cannot ${action} a rollout that is ${before.state}`);
      const { changes, withdrawn } = await decide(before, tx);
      const after = await this.rollouts.update(id, changes, tx);
      await this.audit.record(actor, { action: `rollout.${action}`, resourceType: 'rollout', resourceId: id, before: { state: before.state }, after: auditView(after) }, tx);
      return { rollout: after, withdrawn };
    });
    await this.publisher.withdraw(withdrawn);
    this.gate.forget(rollout.id);
    if (action !== 'cancel') this.scheduler.nudge([rollout.id]);
    return this.reader.view(rollout);
  }
}
