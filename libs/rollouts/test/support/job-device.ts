import type { MqttClient } from 'mqtt';
import {
  type DeviceReportedJobStatus,
  type JobDocument,
  type JobNotify,
  artifactChunkRequestTopic,
  decodeArtifactChunk,
  deviceErrorsTopic,
  jobNotifyTopic,
  jobStatusTopic,
} from '@edgefleet/contracts';
import { connectDevice, waitFor } from '../../../../test/support/mqtt-device';

/** What a scripted device does with a job document; a function decides per attempt (1-based). */
export type Behaviour = 'succeed' | 'fail' | 'reject' | 'silent' | ((attempt: number, jobId: string) => Exclude<Behaviour, Function>);

export interface JobDeviceOptions {
  behaviour?: Behaviour;
  /** Pause between status reports. */
  stepMs?: number;
  /** Firmware version reported at connect (twin reported state). */
  firmware?: string;
  /** More reported state once a job is installed (health keys, say): with the firmware report, or before `succeeded` for config. */
  stateAfter?: (document: JobDocument) => Record<string, unknown>;
}

/**
 * A tiny device for tests: subscribes to its job topics, answers job documents by script
 * (CONTRACT §3), reports the installed firmware version in its reported state, and records
 * everything it received.
 */
export class JobDevice {
  /** Every non-empty job document received, in order. */
  readonly documents: Array<{ jobId: string; document: JobDocument; at: number }> = [];
  readonly notifies: JobNotify[] = [];
  readonly errors: Array<{ topic: string; message: string }> = [];
  /** Job documents cleared (empty retained payload). */
  readonly cleared: string[] = [];
  readonly sent: Array<{ jobId: string; status: DeviceReportedJobStatus; at: number }> = [];
  /** Jobs for which this device reported `succeeded`, with when. */
  readonly succeededAt = new Map<string, number>();
  /** Artifact chunks received over MQTT. */
  readonly chunks: Array<{ offset: number; bytes: Buffer }> = [];
  firmware: string;
  private client?: MqttClient;
  private readonly attempts = new Map<string, number>();
  private readonly working = new Set<string>();

  constructor(
    readonly id: string,
    private readonly password: string,
    private readonly options: JobDeviceOptions = {},
  ) {
    this.firmware = options.firmware ?? '1.0.0';
  }

  behaviour: Behaviour = 'succeed';

  async connect(url: string): Promise<this> {
    this.behaviour = this.options.behaviour ?? this.behaviour;
    const client = await connectDevice(url, { id: this.id, password: this.password });
    this.client = client;
    client.on('message', (topic, payload) => (topic.endsWith('/data') ? this.chunks.push(decodeArtifactChunk(payload)) : this.onMessage(topic, payload.toString())));
    await client.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify({ firmware: { version: this.firmware } }), { qos: 1 });
    await client.subscribeAsync([`devices/${this.id}/jobs/+`, `devices/${this.id}/artifacts/+/data`, deviceErrorsTopic(this.id)], { qos: 1 });
    return this;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // A forced end fails what is still in flight ("Connection closed"): going offline mid-report is the point here.
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  /** Sends a status report by hand (for out-of-order and unknown-job cases). */
  async report(jobId: string, status: DeviceReportedJobStatus, extra: { progress?: number; reason?: string } = {}): Promise<void> {
    this.sent.push({ jobId, status, at: Date.now() });
    if (status === 'succeeded') this.succeededAt.set(jobId, Date.now());
    await this.client?.publishAsync(jobStatusTopic(this.id, jobId), JSON.stringify({ status, ...extra }), { qos: 1 });
  }

  /** Reports a firmware version in the reported state, as a device does after installing. */
  async reportFirmware(version: string): Promise<void> {
    this.firmware = version;
    await this.client?.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify({ firmware: { version } }), { qos: 1 });
  }

  /** Publishes a reported-state patch. */
  async reportState(patch: Record<string, unknown>): Promise<void> {
    await this.client?.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify(patch), { qos: 1 });
  }

  /** Asks for artifact bytes over MQTT (CONTRACT §3); the chunk, or the refusal from the errors topic. */
  async fetchChunk(artifactId: string, offset: number, length: number): Promise<{ offset: number; bytes: Buffer } | { error: string }> {
    const [chunks, errors] = [this.chunks.length, this.errors.length];
    await this.client?.publishAsync(artifactChunkRequestTopic(this.id, artifactId), JSON.stringify({ offset, length }), { qos: 1 });
    await waitFor(() => this.chunks.length + this.errors.length, (n) => n > chunks + errors, 10_000);
    return this.chunks.length > chunks ? this.chunks[chunks] : { error: this.errors[errors].message };
  }

  jobIds(): string[] {
    return [...new Set(this.documents.map((d) => d.jobId))];
  }

  private onMessage(topic: string, payload: string): void {
    if (topic === deviceErrorsTopic(this.id)) return void this.errors.push(JSON.parse(payload));
    if (topic === jobNotifyTopic(this.id)) return void this.notifies.push(JSON.parse(payload));
    const jobId = topic.split('/')[3];
    if (payload === '') return void this.cleared.push(jobId);
    const document = JSON.parse(payload) as JobDocument;
    this.documents.push({ jobId, document, at: Date.now() });
    // Disconnected mid-job on purpose: its in-flight reports fail with "Connection closed", which is no error here.
    this.work(jobId, document).catch((error: unknown) => {
      if (this.client) throw error;
    });
  }

  private async work(jobId: string, document: JobDocument): Promise<void> {
    // A resend of a job already being worked on (reconnect, retained copy) is not a new attempt.
    if (this.working.has(jobId) || this.succeededAt.has(jobId)) return;
    this.working.add(jobId);
    const attempt = (this.attempts.get(jobId) ?? 0) + 1;
    this.attempts.set(jobId, attempt);
    const behaviour = typeof this.behaviour === 'function' ? this.behaviour(attempt, jobId) : this.behaviour;
    try {
      if (behaviour === 'silent') return;
      if (behaviour === 'reject') return await this.report(jobId, 'rejected', { reason: 'not now' });
      await this.step(jobId, 'accepted');
      if (behaviour === 'fail') return await this.report(jobId, 'failed', { reason: 'scripted failure' });
      await this.step(jobId, 'downloading', 50);
      await this.step(jobId, 'installing');
      const extra = this.options.stateAfter?.(document) ?? {};
      if (document.type === 'firmware') {
        await this.step(jobId, 'rebooting');
        this.firmware = document.artifact.version;
        await this.client?.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify({ firmware: { version: this.firmware }, ...extra }), { qos: 1 });
      } else if (Object.keys(extra).length) {
        await this.reportState(extra);
      }
      await this.report(jobId, 'succeeded', { progress: 100 });
    } finally {
      this.working.delete(jobId);
    }
  }

  private async step(jobId: string, status: DeviceReportedJobStatus, progress?: number): Promise<void> {
    await this.report(jobId, status, progress === undefined ? {} : { progress });
    if (this.options.stepMs) await new Promise((resolve) => setTimeout(resolve, this.options.stepMs));
  }
}
