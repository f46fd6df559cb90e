import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type DbTx, Transactor } from '@edgefleet/database';
import { JobPublisher } from './job-publisher';
import type { Rollout } from './rollout';
import { RolloutMetrics } from './rollout-metrics';
import { ROLLOUTS_OPTIONS, type RolloutsOptions } from './rollout-options';
import { RolloutStepper } from './rollout-stepper';
import { RolloutRepository } from './rollout.repository';

/** Steps per tick at most, so one busy server still yields to the event loop between ticks. */
const MAX_STEPS_PER_TICK = 100;
const RETRY_FAILED_STEP_MS = 5_000;

/**
 * Durable scheduling on Postgres row locks. Every `tickIntervalMs` (and at once when nudged)
 * this server steps each due rollout in its own transaction, claiming it with
 * `FOR UPDATE SKIP LOCKED`, so any number of servers can share one database: a rollout is
 * stepped by one of them at a time, and a crash loses nothing that was committed. Messages
 * to devices go out after the commit.
 */
@Injectable()
export class RolloutScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RolloutScheduler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly nudged = new Set<string>();

  constructor(
    private readonly rollouts: RolloutRepository,
    private readonly stepper: RolloutStepper,
    private readonly publisher: JobPublisher,
    private readonly transactor: Transactor,
    private readonly metrics: RolloutMetrics,
    @Inject(ROLLOUTS_OPTIONS) private readonly options: RolloutsOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.options.tickIntervalMs);
    this.timer.unref();
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.running) await this.running;
  }

  /** Step these rollouts now rather than at their next tick (a device finished, an operator acted). */
  nudge(rolloutIds: Iterable<string>): void {
    for (const id of rolloutIds) this.nudged.add(id);
    if (this.nudged.size) this.kick();
  }

  /** Runs one tick (tests and benches use it to step without waiting). */
  tick(): Promise<void> {
    this.kick();
    return this.running ?? Promise.resolve();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runTick().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async runTick(): Promise<void> {
    const nudged = [...this.nudged];
    this.nudged.clear();
    for (const id of nudged) await this.stepOne((tx) => this.rollouts.lockIfFree(id, tx));
    for (let steps = 0; steps < MAX_STEPS_PER_TICK && !this.stopped; steps++) {
      if (!(await this.stepOne((tx) => this.rollouts.lockNextDue(tx)))) break;
    }
  }

  /** Returns whether a rollout was claimed (false: nothing due, or another server holds it). */
  private async stepOne(claim: (tx: DbTx) => Promise<Rollout | null>): Promise<boolean> {
    const timer = this.metrics.stepDuration.startTimer();
    let claimed: Rollout | null = null;
    try {
      const effects = await this.transactor.run(async (tx) => {
        claimed = await claim(tx);
        return claimed ? this.stepper.step(claimed, tx) : null;
      });
      if (!effects) return false;
      timer();
      await this.publisher.withdraw(effects.withdraw);
      await this.publisher.send(effects.send);
      return true;
    } catch (error) {
      const failed = claimed as Rollout | null;
      this.logger.error(`step of rollout ${failed?.id ?? '(none claimed)'} failed: ${(error as Error).stack ?? error}`);
      // Back off this rollout so a persistent error does not starve the others.
      if (failed) await this.rollouts.postpone(failed.id, RETRY_FAILED_STEP_MS).catch(() => undefined);
      return failed !== null;
    }
  }
}
