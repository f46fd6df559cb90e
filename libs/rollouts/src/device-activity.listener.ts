import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Batch } from '@edgefleet/common';
import { Transactor } from '@edgefleet/database';
import { DeviceEvents } from '@edgefleet/registry';
import { TwinEvents } from '@edgefleet/twin';
import { baselinePaths } from './health/health-spec';
import { JobPublisher } from './job-publisher';
import type { JobRef } from './rollout';
import { inFlightTotal, summarize } from './rollout-progress';
import { RolloutJobRepository } from './rollout-job.repository';
import { RolloutScheduler } from './rollout-scheduler';
import { RolloutStepper } from './rollout-stepper';
import { RolloutRepository } from './rollout.repository';

/** Events arriving within this window are handled together (a reconnect storm is a few queries, not thousands). */
const COALESCE_MS = 20;

/**
 * Reacts to what devices do outside the job topics: a device that connects gets its in-flight
 * jobs again and, if it was waiting offline, its job now; a device that reports the firmware
 * version its job installed completes that job.
 */
@Injectable()
export class DeviceActivityListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RolloutJobs');
  private readonly connected = new Batch<{ deviceId: string; at: Date }>(COALESCE_MS, (connects) => this.devicesConnected(connects));
  private readonly firmware = new Batch<{ deviceId: string; version: string }>(COALESCE_MS, (reports) => this.firmwareReported(reports));
  private readonly refreshed = new Batch<string>(COALESCE_MS, (deviceIds) => this.devicesRefreshed(deviceIds));
  /** Per device held here: when it connected or was last refreshed; newer jobs are what a refresh sends. */
  private readonly sentUpTo = new Map<string, Date>();
  private readonly onConnected = (deviceId: string): void => {
    const at = new Date();
    this.sentUpTo.set(deviceId, at);
    this.connected.add({ deviceId, at });
  };
  private readonly onDisconnected = (deviceId: string): void => void this.sentUpTo.delete(deviceId);
  private readonly onRefresh = (deviceIds: string[]): void => deviceIds.forEach((deviceId) => this.refreshed.add(deviceId));
  private readonly onFirmware = (deviceId: string, version: string): void => this.firmware.add({ deviceId, version });

  constructor(
    private readonly deviceEvents: DeviceEvents,
    private readonly twinEvents: TwinEvents,
    private readonly rollouts: RolloutRepository,
    private readonly jobs: RolloutJobRepository,
    private readonly stepper: RolloutStepper,
    private readonly publisher: JobPublisher,
    private readonly scheduler: RolloutScheduler,
    private readonly transactor: Transactor,
  ) {}

  onModuleInit(): void {
    this.deviceEvents.on('connected', this.onConnected);
    this.deviceEvents.on('disconnected', this.onDisconnected);
    this.deviceEvents.on('refresh', this.onRefresh);
    this.twinEvents.on('firmware-reported', this.onFirmware);
  }

  async onModuleDestroy(): Promise<void> {
    this.deviceEvents.off('connected', this.onConnected);
    this.deviceEvents.off('disconnected', this.onDisconnected);
    this.deviceEvents.off('refresh', this.onRefresh);
    this.twinEvents.off('firmware-reported', this.onFirmware);
    await Promise.all([this.connected.drain(), this.firmware.drain(), this.refreshed.drain()]);
  }

  async devicesConnected(connects: readonly { deviceId: string; at: Date }[]): Promise<void> {
    const connectedAt = new Map(connects.map((connect) => [connect.deviceId, connect.at]));
    const deviceIds = [...connectedAt.keys()];
    try {
      await this.publisher.resend(connectedAt);
      for (const rolloutId of await this.jobs.rolloutsPendingFor(deviceIds)) {
        await this.publisher.send(await this.claimWaiting(rolloutId, deviceIds));
      }
    } catch (error) {
      // The scheduler's next tick finds these devices online and dispatches them anyway.
      this.logger.error(`handling ${deviceIds.length} connected device(s) failed: ${(error as Error).message}`);
    }
  }

  private async devicesRefreshed(deviceIds: string[]): Promise<void> {
    const now = new Date();
    const since = new Map<string, Date>();
    for (const deviceId of new Set(deviceIds)) since.set(deviceId, this.sentUpTo.get(deviceId) ?? new Date(0));
    try {
      await this.publisher.deliverNew(since);
      for (const deviceId of since.keys()) if (this.sentUpTo.has(deviceId)) this.sentUpTo.set(deviceId, now);
    } catch (error) {
      // The device's next connect, or the job's deadline and retry, recovers it.
      this.logger.error(`delivering jobs dispatched by other nodes to ${since.size} device(s) failed: ${(error as Error).message}`);
    }
  }

  /** Waits for the rollout's lock (not skip): a scheduler step holding it is short, and maxInFlight must hold across both paths. */
  private claimWaiting(rolloutId: string, deviceIds: string[]): Promise<JobRef[]> {
    return this.transactor.run(async (tx) => {
      const rollout = await this.rollouts.lock(rolloutId, tx);
      if (!rollout || !(rollout.state === 'reverting' || (rollout.state === 'running' && this.stepper.windowOpen(rollout, new Date())))) return [];
      const strategy = rollout.definition.strategy;
      const progress = summarize(await this.jobs.countsByWave(rolloutId, tx), strategy.waves);
      const room = strategy.maxInFlight - inFlightTotal(progress);
      return this.jobs.claimPendingOfDevices(rolloutId, deviceIds, room, strategy.deviceTimeoutSeconds, rollout.payload, tx, baselinePaths(strategy.health));
    });
  }

  private async firmwareReported(reports: { deviceId: string; version: string }[]): Promise<void> {
    try {
      const confirmed = await this.jobs.confirmFirmwareOfDevices(reports);
      if (confirmed.length === 0) return;
      await this.publisher.withdraw(confirmed);
      this.scheduler.nudge(new Set(confirmed.map((ref) => ref.rolloutId)));
    } catch (error) {
      // Each scheduler step also confirms firmware from the devices table, so nothing is lost.
      this.logger.error(`confirming firmware of ${reports.length} device(s) failed: ${(error as Error).message}`);
    }
  }
}
