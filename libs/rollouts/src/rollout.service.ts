import { Injectable } from '@nestjs/common';
import { ArtifactService } from '@edgefleet/artifacts';
import { AuditService } from '@edgefleet/audit';
import { type Actor, ConflictError, DomainError, DomainErrorCode, InvalidInputError, NotFoundError, type Page, decodeCursor, isUuid, toPage } from '@edgefleet/common';
import type { DeviceJobStatus, RolloutState } from '@edgefleet/contracts';
import { Transactor } from '@edgefleet/database';
import { DeviceRepository } from '@edgefleet/registry';
import type { DeviceRolloutJob, Rollout, RolloutJob, RolloutPayload, RolloutProgress } from './rollout';
import { type RolloutRequest, buildDefinition } from './rollout-definition';
import { summarize } from './rollout-progress';
import { RolloutJobRepository } from './rollout-job.repository';
import type { HealthSpec } from './health/health-spec';
import { RolloutHealthRepository } from './health/rollout-health.repository';
import { type RolloutDecision, RolloutDecisionRepository } from './health/rollout-decision.repository';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutStepper } from './rollout-stepper';
import { RolloutTargets, preview } from './rollout-targets';
import { RolloutRepository } from './rollout.repository';
import { cumulativeWaveEnds } from './wave-planner';
import { type WindowStatus, windowStatus } from './maintenance-window';

export interface RolloutPreview {
  targetCount: number;
  /** Firmware: devices left out because the artifact is not for their type (creating the rollout refuses them). */
  mismatched: { deviceId: string; type: string }[];
  /** `offline`: of the wave's devices, how many are not connected now. */
  waves: { wave: number; percent: number; count: number; offline: number; deviceIds: string[] }[];
  /** The health plan: the gate with its defaults, and which targets a revert could send back (as of now). */
  health?: { gate: HealthSpec; revertTargetsKnown: number; revertTargetsUnknown: number; unknownDeviceIds: string[] };
}

export interface RolloutView {
  rollout: Rollout;
  progress: RolloutProgress;
  /** Rollouts with a maintenance window: whether it is open now, else when it opens next. */
  window?: WindowStatus;
}

/** Creating, previewing and reading rollouts. */
@Injectable()
export class RolloutService {
  constructor(
    private readonly rollouts: RolloutRepository,
    private readonly jobs: RolloutJobRepository,
    private readonly health: RolloutHealthRepository,
    private readonly decisionRecord: RolloutDecisionRepository,
    private readonly targets: RolloutTargets,
    private readonly stepper: RolloutStepper,
    private readonly scheduler: RolloutScheduler,
    private readonly artifacts: ArtifactService,
    private readonly audit: AuditService,
    private readonly transactor: Transactor,
    private readonly registry: DeviceRepository,
  ) {}

  /**
   * Without a future startAt the rollout starts now: its targets are frozen in the same
   * transaction, so the response already shows them. A firmware rollout whose targets
   * include devices of a type the artifact is not for is refused (400) naming them.
   */
  async create(actor: Actor, request: RolloutRequest): Promise<RolloutView> {
    const definition = buildDefinition(request);
    const payload = await this.payloadOf(request);
    if (payload.type === 'firmware' && !request.force) await this.refuseQuarantined(payload.artifact.id);
    await this.targets.validate(definition.target);
    const resolved = await this.targets.resolve(definition.target, payload);
    if (resolved.mismatched.length) {
      const list = preview(resolved.mismatched.map((t) => `${t.deviceId} (${t.type})`));
      throw new InvalidInputError(`artifact is for ${payload.type === 'firmware' ? payload.artifact.deviceTypes.join(', ') : ''}; not for: ${list}`, 'target');
    }
    if (resolved.targets.length === 0) throw new InvalidInputError('matches no devices', 'target');
    const now = new Date();
    const startAt = definition.schedule.startAt ? new Date(definition.schedule.startAt) : null;
    const rollout = await this.transactor.run(async (tx) => {
      let created = await this.rollouts.create({ name: request.name, definition, payload, startAt, createdBy: actor.name }, 'scheduled', tx);
      if (!startAt || startAt <= now) created = await this.rollouts.update(created.id, await this.stepper.start(created, now, tx), tx);
      await this.audit.record(actor, { action: 'rollout.create', resourceType: 'rollout', resourceId: created.id, after: auditView(created) }, tx);
      return created;
    });
    this.scheduler.nudge([rollout.id]);
    return this.view(rollout);
  }

  async preview(request: RolloutRequest): Promise<RolloutPreview> {
    const definition = buildDefinition(request);
    const payload = await this.payloadOf(request);
    await this.targets.validate(definition.target);
    const { targets, mismatched } = await this.targets.resolve(definition.target, payload);
    const planned = this.targets.plan(request.name, payload, targets, definition.strategy.waves);
    const ends = cumulativeWaveEnds(targets.length, definition.strategy.waves);
    const waves = definition.strategy.waves.map((percent, wave) => ({ wave, percent, count: ends[wave] - (wave ? ends[wave - 1] : 0), offline: 0, deviceIds: [] as string[] }));
    for (const job of planned) waves[job.wave].deviceIds.push(job.deviceId);
    for (const wave of waves) wave.offline = await this.registry.countOffline(wave.deviceIds);
    const gate = definition.strategy.health;
    // Config reverts always know what to restore (absent keys are removed again).
    const unknown = gate && payload.type === 'firmware' ? await this.health.withoutKnownFirmware(targets.map((t) => t.deviceId)) : [];
    return {
      targetCount: targets.length,
      mismatched: mismatched.map((t) => ({ deviceId: t.deviceId, type: t.type })),
      waves,
      ...(gate ? { health: { gate, revertTargetsKnown: targets.length - unknown.length, revertTargetsUnknown: unknown.length, unknownDeviceIds: unknown.slice(0, 100) } } : {}),
    };
  }

  async get(id: string): Promise<RolloutView> {
    return this.view(await this.find(id));
  }

  async list(limit: number, cursor?: string, state?: RolloutState): Promise<Page<RolloutView>> {
    const before = decodeCursor(cursor);
    if (before !== undefined && !isUuid(before)) throw new InvalidInputError('is not a cursor returned by this API', 'cursor');
    const page = toPage(await this.rollouts.list(limit, before, state), limit, (rollout) => rollout.id);
    return { items: await Promise.all(page.items.map((rollout) => this.view(rollout))), nextCursor: page.nextCursor };
  }

  async devices(id: string, filter: { status?: DeviceJobStatus; wave?: number }, limit: number, cursor?: string): Promise<Page<RolloutJob>> {
    const rollout = await this.find(id);
    const page = toPage(await this.jobs.page(rollout.id, filter, limit, decodeCursor(cursor)), limit, (job) => job.deviceId);
    const gated = rollout.definition.strategy.health !== undefined && rollout.revertingSince === null;
    const verifying = rollout.definition.strategy.health !== undefined;
    const views = await this.health.viewsOf(rollout.id, page.items.map((job) => job.deviceId), { gated, verifying });
    const withHealth = (job: RolloutJob): RolloutJob => {
      const view = views.get(job.deviceId);
      // Succeeded with no bake record: baking since its success (implied) or since the next pass.
      if (view && gated && job.status === 'succeeded' && view.health === null) return { ...job, health: { ...view, health: 'pending' } };
      return { ...job, health: view };
    };
    return { items: page.items.map(withHealth), nextCursor: page.nextCursor };
  }

  /** The rollout's decision record, oldest first. */
  async decisions(id: string, limit: number, cursor?: string): Promise<Page<RolloutDecision>> {
    const rollout = await this.find(id);
    const after = decodeCursor(cursor);
    if (after !== undefined && !/^\d{1,19}$/.test(after)) throw new InvalidInputError('is not a cursor returned by this API', 'cursor');
    return toPage(await this.decisionRecord.list(rollout.id, limit, after), limit, (decision) => decision.id);
  }

  /** Every decision after `afterId` (all of them without), oldest first. */
  async decisionsAfter(id: string, afterId: string | undefined): Promise<RolloutDecision[]> {
    return this.decisionRecord.list(id, 10_000, afterId);
  }

  /** A device's jobs across rollouts, newest first. */
  async jobsOfDevice(deviceId: string, limit: number): Promise<DeviceRolloutJob[]> {
    return this.jobs.ofDevice(deviceId, limit);
  }

  async find(id: string): Promise<Rollout> {
    const rollout = await this.rollouts.findById(id);
    if (!rollout) throw new NotFoundError('rollout', id);
    return rollout;
  }

  async view(rollout: Rollout): Promise<RolloutView> {
    const progress = summarize(await this.jobs.countsByWave(rollout.id), rollout.definition.strategy.waves);
    const window = rollout.definition.schedule.window;
    return { rollout, progress, ...(window ? { window: windowStatus(window, new Date()) } : {}) };
  }

  /** 409 for an artifact a reverted rollout quarantined (the request may `force` it). */
  private async refuseQuarantined(artifactId: string): Promise<void> {
    const { quarantine } = await this.artifacts.get(artifactId);
    if (quarantine) throw new ConflictError(`artifact '${artifactId}' is quarantined since ${quarantine.at.toISOString()} (${quarantine.reason}); pass force: true to roll it out anyway`);
  }

  private async payloadOf(request: RolloutRequest): Promise<RolloutPayload> {
    if (request.type === 'config') return { type: 'config', config: request.config ?? {} };
    try {
      const artifact = await this.artifacts.get(request.artifactId ?? '');
      const { id, name, version, size, sha256, signature, deviceTypes } = artifact;
      return { type: 'firmware', artifact: { id, name, version, size, sha256, signature, deviceTypes } };
    } catch (error) {
      if (error instanceof DomainError && error.code === DomainErrorCode.NotFound) throw new InvalidInputError(`artifact '${request.artifactId}' not found`, 'artifactId');
      throw error;
    }
  }
}

export function auditView(rollout: Rollout): object {
  return { name: rollout.name, type: rollout.type, state: rollout.state, reason: rollout.reason, definition: rollout.definition, targetCount: rollout.targetCount };
}
