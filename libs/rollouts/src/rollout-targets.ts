import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, InvalidInputError } from '@edgefleet/common';
import type { DbTx } from '@edgefleet/database';
import { type DeviceQuery, DeviceQueryResolver } from '@edgefleet/registry';
import type { RolloutPayload, RolloutTarget } from './rollout';
import { RolloutTargetRepository } from './rollout-target.repository';
import { type PlanTarget, type PlannedJob, planWaves } from './wave-planner';

export interface ResolvedTargets {
  targets: PlanTarget[];
  /** Firmware rollouts: targets whose device type the artifact is not built for. */
  mismatched: PlanTarget[];
}

/** Turns a rollout's target (ids, groups, selector) into devices, and devices into waves. */
@Injectable()
export class RolloutTargets {
  constructor(
    private readonly repository: RolloutTargetRepository,
    private readonly queries: DeviceQueryResolver,
  ) {}

  /** Unknown device ids or groups are bad input (400), named. */
  async validate(target: RolloutTarget): Promise<void> {
    const missing = await this.repository.missingIds(target.deviceIds);
    if (missing.length) throw new InvalidInputError(`unknown device id(s): ${preview(missing)}`, 'target.deviceIds');
    await this.groupQueries(target);
  }

  async resolve(target: RolloutTarget, payload: RolloutPayload, tx?: DbTx): Promise<ResolvedTargets> {
    const queries = await this.groupQueries(target);
    if (target.selector) queries.push({ criteria: [target.selector] });
    const all = await this.repository.find(target.deviceIds, queries, tx);
    if (payload.type === 'config') return { targets: all, mismatched: [] };
    const types = new Set(payload.artifact.deviceTypes);
    return { targets: all.filter((t) => types.has(t.type)), mismatched: all.filter((t) => !types.has(t.type)) };
  }

  /**
   * Wave membership is seeded by what the rollout is (its name and payload), not its id, so a
   * preview of the same body shows the membership the rollout gets when it starts.
   */
  plan(name: string, payload: RolloutPayload, targets: readonly PlanTarget[], waves: readonly number[]): PlannedJob[] {
    return planWaves(planSeed(name, payload), targets, waves);
  }

  private async groupQueries(target: RolloutTarget): Promise<DeviceQuery[]> {
    const queries: DeviceQuery[] = [];
    for (const groupId of target.groupIds) {
      try {
        queries.push(await this.queries.resolve({}, groupId));
      } catch (error) {
        if (error instanceof DomainError && error.code === DomainErrorCode.NotFound) {
          throw new InvalidInputError(`group '${groupId}' not found`, 'target.groupIds');
        }
        throw error;
      }
    }
    return queries;
  }
}

function planSeed(name: string, payload: RolloutPayload): string {
  return `${name}\n${payload.type === 'firmware' ? payload.artifact.id : JSON.stringify(payload.config)}`;
}

export function preview(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}
