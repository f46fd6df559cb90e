import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, InvalidInputError } from '@edgefleet/common';
import type { DbTx } from '@edgefleet/database';
import { type DeviceQuery, DeviceQueryResolver } from '@edgefleet/registry';
import type { Rollout, RolloutPayload, RolloutTarget } from './rollout';
import { NOTHING_TO_FOLLOW } from './rollout-definition';
import { type NewMatches, RolloutTargetRepository } from './rollout-target.repository';
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
    const groups = await this.groupQueries(target);
    if (target.includeNewDevices && !target.selector && !groups.some(isDynamic)) {
      throw new InvalidInputError(`${NOTHING_TO_FOLLOW}; the groups given are static`, 'target.includeNewDevices');
    }
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
   * For a running or paused rollout with includeNewDevices: gives every device that has come to match
   * its selector or a dynamic group, and has no job in it yet, a job in the last wave (one statement),
   * and recounts the matched devices left out for their type. Ids and static groups stay frozen; a
   * group deleted since the start is skipped.
   */
  async addNewMatches(rollout: Rollout, tx: DbTx): Promise<NewMatches> {
    const queries: DeviceQuery[] = [];
    for (const groupId of rollout.definition.target.groupIds) {
      try {
        queries.push(await this.queries.resolve({}, groupId));
      } catch (error) {
        if (!(error instanceof DomainError && error.code === DomainErrorCode.NotFound)) throw error;
      }
    }
    const { selector, deviceIds } = rollout.definition.target;
    if (selector) queries.push({ criteria: [selector] });
    const followed = queries.filter(isDynamic);
    if (followed.length === 0) return { added: 0, excluded: rollout.excludedCount, excludedSample: [] };
    return this.repository.appendNewMatches(
      {
        rolloutId: rollout.id,
        deviceIds,
        queries,
        followed,
        deviceTypes: rollout.payload.type === 'firmware' ? rollout.payload.artifact.deviceTypes : null,
        wave: rollout.definition.strategy.waves.length - 1,
      },
      tx,
    );
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

/** A selector or a dynamic group's query: its matches can change; a static group's members are frozen at the start. */
function isDynamic(query: DeviceQuery): boolean {
  return query.memberOfGroupId === undefined;
}

function planSeed(name: string, payload: RolloutPayload): string {
  return `${name}\n${payload.type === 'firmware' ? payload.artifact.id : JSON.stringify(payload.config)}`;
}

/** Why a firmware rollout has fewer targets than its target matches; `ids` may be just the first few of `count`. */
export function leftOutReason(count: number, ids: readonly string[]): string {
  const shown = ids.slice(0, 10);
  return `left out ${count} device(s) of a type the artifact is not for: ${shown.join(', ')}${count > shown.length ? ` and ${count - shown.length} more` : ''}`;
}

export function preview(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}
