import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEVICE_REPORTED_JOB_STATUSES, type DeviceReportedJobStatus } from '@edgefleet/contracts';
import { DeviceClient } from '@edgefleet/device-sdk';
import type { DeviceLogin } from './fleet-api';
import { type BehaviourOptions, simulatedBehaviour } from './simulated-behaviour';
import { type FaultOptions, SimulatedFaults } from './simulated-faults';
import { type ValueRange, pick } from './value-range';

export interface FleetOptions extends BehaviourOptions, FaultOptions {
  mqttUrl: string;
  logins: DeviceLogin[];
  firmware: string;
  signingKey: KeyObject;
  /** The fleet CA (PEM), for devices signing in by certificate over MQTTS. */
  ca?: string;
  /** Connections started per second. */
  connectRate: number;
  /** Fraction of online devices dropping offline per minute. */
  churn: number;
  offlineTime: ValueRange;
  mqttDownloads: boolean;
}

/** Devices that answer at once, never fail and never drop off: spread it first, then override what a run varies. */
export const INSTANT_DEVICES = {
  churn: 0,
  offlineTime: { min: 0, max: 0 },
  mqttDownloads: false,
  failRate: 0,
  latency: { min: 0, max: 0 },
  installTime: { min: 0, max: 0 },
  rebootTime: { min: 0, max: 0 },
} as const satisfies Partial<FleetOptions>;

export interface FleetStats {
  devices: number;
  online: number;
  /** Devices the server refused at CONNECT (bad or revoked credential). */
  refused: number;
  /** Devices by the status of the last job they reported on. */
  jobs: Partial<Record<DeviceReportedJobStatus, number>>;
  /** Devices by the firmware they run. */
  firmware: Record<string, number>;
  /** Connections lost and made again (churn, reboots, network). */
  reconnects: number;
  churned: number;
  /** Devices that misbehaved after an update, by fault. */
  faults: { crashLoop: number; dark: number; rollback: number };
}

const NO_JOB = 255;

/**
 * N devices in one process, each a real SDK client with its own MQTT connection. Per-device
 * bookkeeping is one byte (last job status) in a shared array; behaviour handlers are
 * shared, so the cost per device is essentially the MQTT client itself (~25 KB).
 */
export class Fleet {
  readonly devices: DeviceClient[];
  private readonly lastJobStatus: Uint8Array;
  private readonly jobCounts = new Array<number>(DEVICE_REPORTED_JOB_STATUSES.length).fill(0);
  private onlineCount = 0;
  private refusedCount = 0;
  private reconnectCount = 0;
  private churnedCount = 0;
  private churnTimer?: NodeJS.Timeout;
  private churnCarry = 0;
  private stopping = false;
  private readonly faults: SimulatedFaults;
  private readonly faultCounts = { crashLoop: 0, dark: 0, rollback: 0 };
  /** The version each device ran when its current job began (only kept when a fault is configured). */
  private readonly versionBefore: Array<string | undefined>;

  constructor(private readonly options: FleetOptions) {
    const handlers = simulatedBehaviour(options);
    this.faults = new SimulatedFaults(options);
    this.versionBefore = this.faults.any ? new Array(options.logins.length) : [];
    this.lastJobStatus = new Uint8Array(options.logins.length).fill(NO_JOB);
    this.devices = options.logins.map((login, index) => {
      const device = new DeviceClient({
        url: options.mqttUrl,
        deviceId: login.id,
        password: login.password,
        certificate: login.certificate && { ...login.certificate, ca: options.ca },
        firmwareVersion: options.firmware,
        handlers,
        signingKey: options.signingKey,
        downloads: { storage: 'discard', http: !options.mqttDownloads },
        reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000 },
      });
      device.on('online', () => this.onlineCount++);
      device.on('offline', () => (this.onlineCount--, this.stopping || this.reconnectCount++));
      device.on('refused', () => this.refusedCount++);
      device.on('error', () => undefined);
      device.on('job', (_jobId, report) => {
        this.countJob(index, report.status);
        if (this.faults.any) this.applyFaults(device, index, report.status);
      });
      return device;
    });
  }

  /** Starts every device, `connectRate` per second; resolves once all have been started (not necessarily online). */
  async start(): Promise<void> {
    const perTick = Math.max(1, Math.round(this.options.connectRate / 20));
    for (let i = 0; i < this.devices.length && !this.stopping; i += perTick) {
      for (const device of this.devices.slice(i, i + perTick)) device.start().catch(() => undefined);
      await sleep(50);
    }
    if (this.options.churn > 0 && !this.stopping) this.churnTimer = setInterval(() => this.churn(), 1_000);
  }

  stats(): FleetStats {
    const jobs: FleetStats['jobs'] = {};
    DEVICE_REPORTED_JOB_STATUSES.forEach((status, i) => this.jobCounts[i] && (jobs[status] = this.jobCounts[i]));
    const firmware: Record<string, number> = {};
    for (const device of this.devices) {
      const version = device.firmwareVersion ?? 'unknown';
      firmware[version] = (firmware[version] ?? 0) + 1;
    }
    return {
      devices: this.devices.length,
      online: this.onlineCount,
      refused: this.refusedCount,
      jobs,
      firmware,
      reconnects: this.reconnectCount,
      churned: this.churnedCount,
      faults: { ...this.faultCounts },
    };
  }

  /** Disconnects every device cleanly (DISCONNECT), a few hundred at a time. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.faults.stop();
    clearInterval(this.churnTimer);
    for (let i = 0; i < this.devices.length; i += 500) await Promise.all(this.devices.slice(i, i + 500).map((device) => device.stop()));
  }

  private countJob(index: number, status: DeviceReportedJobStatus): void {
    const previous = this.lastJobStatus[index];
    if (previous !== NO_JOB) this.jobCounts[previous]--;
    const next = DEVICE_REPORTED_JOB_STATUSES.indexOf(status);
    this.lastJobStatus[index] = next;
    this.jobCounts[next]++;
  }

  private applyFaults(device: DeviceClient, index: number, status: DeviceReportedJobStatus): void {
    if (status === 'accepted') this.versionBefore[index] = device.firmwareVersion;
    const before = this.versionBefore[index];
    // Only a success that changed the version is an update (a config job, or a resend of the same job, is not).
    if (status !== 'succeeded' || this.stopping || before === undefined || before === device.firmwareVersion) return;
    this.versionBefore[index] = undefined;
    const fault = this.faults.succeeded(device, before);
    if (fault) this.faultCounts[fault]++;
  }

  /** Drops about `churn × online / 60` random online devices per second; each comes back after `offlineTime`. */
  private churn(): void {
    this.churnCarry += (this.options.churn * this.onlineCount) / 60;
    for (; this.churnCarry >= 1; this.churnCarry--) {
      const device = this.devices[Math.floor(Math.random() * this.devices.length)];
      if (!device.online) continue;
      this.churnedCount++;
      void device.stop().then(() =>
        setTimeout(() => this.stopping || device.start().catch(() => undefined), pick(this.options.offlineTime)),
      );
    }
  }
}
