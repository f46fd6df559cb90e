import { Injectable } from '@nestjs/common';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, NotFoundError } from '@edgefleet/common';
import type { RolloutState } from '@edgefleet/contracts';
import { Transactor } from '@edgefleet/database';
import { JobPublisher } from './job-publisher';
import type { JobRef, Rollout, RolloutChanges } from './rollout';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutJobRepository } from './rollout-job.repository';
import { RolloutRepository } from './rollout.repository';
import { type RolloutView, RolloutService, auditView } from './rollout.service';

type Control = 'pause' | 'resume' | 'cancel';

const ALLOWED_FROM: Record<Control, RolloutState[]> = {
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['scheduled', 'running', 'paused'],
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
    return this.control(actor, id, 'resume', async (rollout) => ({
      // A rollout paused before its start goes back to waiting for startAt.
      changes: { state: rollout.startedAt ? 'running' : 'scheduled', nextTickAt: rollout.startedAt ? new Date() : (rollout.startAt ?? new Date()) },
      withdrawn: [],
    }));
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
    if (action !== 'cancel') this.scheduler.nudge([rollout.id]);
    return this.reader.view(rollout);
  }
}
