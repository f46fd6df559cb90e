import { type MqttClient, connect } from 'mqtt';
import type { DeviceReportedJobStatus, JobDocument } from '@edgefleet/contracts';

export interface FleetDeviceOptions {
  /** Pause between status reports, so a test can act while jobs are in flight. */
  stepMs?: number;
  /**
   * Announce presence on `devices/{id}/presence` (retained `{"online":true}` at every connect,
   * the same as Last Will `{"online":false}`), as devices on an external broker do.
   */
  presence?: boolean;
  keepaliveSeconds?: number;
  /**
   * Report `succeeded` before the new firmware version shows: the version is reported only at
   * the next connect, as a device does that reboots into the new image.
   */
  versionAfterReboot?: boolean;
  /**
   * Give up the job in hand when the connection drops, and start over only from the document
   * the server sends again after the reconnect (a device that lost power mid-job).
   */
  abandonOnDisconnect?: boolean;
  /** Reported health keys for the firmware it runs, sent with every firmware report. */
  health?: (firmware: string) => Record<string, unknown>;
}

export interface ReceivedDocument {
  jobId: string;
  document: JobDocument;
  at: number;
  /** Which connection of this device it arrived on (1 = the first). */
  connection: number;
}

/**
 * A device as it behaves in the field, for end-to-end tests: it reconnects by itself when
 * the server goes away, says again at every connect what firmware it runs, works on each job
 * document it receives (CONTRACT §3) and records everything it received and sent.
 */
export class FleetDevice {
  readonly documents: ReceivedDocument[] = [];
  /**
   * When this device first sent `succeeded` for a job (acknowledged or not), and on which
   * connection, as far as the device knew (1 = the first): a report sent on a connection that
   * had already broken unnoticed reaches the server after the reconnect.
   */
  readonly successSent = new Map<string, { at: number; connection: number }>();
  /** When the PUBACK of this device's `succeeded` report arrived, per job. */
  readonly successAcked = new Map<string, number>();
  readonly errors: Array<{ topic: string; message: string }> = [];
  firmware = '1.0.0';
  connections = 0;
  private client?: MqttClient;
  /** The jobs this device is working on, and when it started each. */
  private readonly working = new Map<string, number>();
  private readonly installed = new Set<string>();
  /** Counts lost connections: work begun under an older one is given up with `abandonOnDisconnect`. */
  private lostConnections = 0;

  constructor(
    readonly id: string,
    private readonly password: string,
    private readonly options: FleetDeviceOptions = {},
  ) {}

  /** Connects, and keeps reconnecting every 250 ms after a lost connection; resolves at the first CONNACK. */
  connect(url: string): Promise<this> {
    const presence = `devices/${this.id}/presence`;
    const client = connect(url, {
      clientId: this.id,
      username: this.id,
      password: this.password,
      protocolVersion: 4,
      clean: true,
      keepalive: this.options.keepaliveSeconds ?? 10,
      reconnectPeriod: 250,
      connectTimeout: 5_000,
      // Subscribed by hand at each connect: twice would deliver every retained message twice.
      resubscribe: false,
      ...(this.options.presence ? { will: { topic: presence, payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: true } } : {}),
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload.toString()));
    client.on('error', () => undefined);
    client.on('close', () => this.lostConnections++);
    client.on('connect', () => {
      this.connections++;
      void this.announce(client).catch(() => undefined);
    });
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(this));
      client.once('error', reject);
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Whether this device started a job less than `ms` ago and is still working on it. */
  startedWithin(ms: number): boolean {
    const since = Date.now() - ms;
    return [...this.working.values()].some((startedAt) => startedAt > since);
  }

  jobIds(): string[] {
    return [...new Set(this.documents.map((d) => d.jobId))];
  }

  /** Documents of `jobId` that arrived after this device's `succeeded` report for it was acknowledged. */
  documentsAfterSuccess(): ReceivedDocument[] {
    return this.documents.filter((d) => {
      const acked = this.successAcked.get(d.jobId);
      return acked !== undefined && d.at > acked;
    });
  }

  /** The connection breaks without a DISCONNECT (power cut, network gone): the broker publishes the Will. No reconnect. */
  dropConnection(): void {
    const client = this.client;
    if (!client) return;
    client.options.reconnectPeriod = 0;
    client.stream.destroy();
  }

  /** Disconnects and connects again, as a device does that restarts into a new image. */
  async reboot(url: string): Promise<void> {
    await this.close();
    await this.connect(url);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  private async announce(client: MqttClient): Promise<void> {
    if (this.options.presence) await client.publishAsync(`devices/${this.id}/presence`, '{"online":true}', { qos: 1, retain: true });
    await client.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify(this.firmwareReport()), { qos: 1 });
    await client.subscribeAsync([`devices/${this.id}/jobs/+`, `devices/${this.id}/errors`], { qos: 1 });
  }

  private firmwareReport(): Record<string, unknown> {
    return { firmware: { version: this.firmware }, ...this.options.health?.(this.firmware) };
  }

  private onMessage(topic: string, payload: string): void {
    if (topic === `devices/${this.id}/errors`) return void this.errors.push(JSON.parse(payload));
    const jobId = topic.split('/')[3];
    if (jobId === 'notify' || payload === '') return;
    const document = JSON.parse(payload) as JobDocument;
    this.documents.push({ jobId, document, at: Date.now(), connection: this.connections });
    void this.work(jobId, document).catch(() => undefined);
  }

  private async work(jobId: string, document: JobDocument): Promise<void> {
    if (this.working.has(jobId)) return;
    this.working.set(jobId, Date.now());
    const startedOn = this.connections;
    let startOver = false;
    try {
      // Already installed (its report was lost, or the server asks again): say so again, as a real device would.
      if (this.installed.has(jobId)) return await this.report(jobId, 'succeeded');
      const lost = this.lostConnections;
      const abandoned = () => {
        if (this.options.abandonOnDisconnect !== true || this.lostConnections === lost) return false;
        // A document the server sent again while this run was winding down starts the job over.
        startOver = this.documents.some((d) => d.jobId === jobId && d.connection > startedOn);
        return true;
      };
      for (const status of ['accepted', 'downloading', 'installing'] as const) {
        await this.step(jobId, status);
        if (abandoned()) return;
      }
      if (document.type === 'firmware') {
        await this.step(jobId, 'rebooting');
        if (abandoned()) return;
        this.firmware = document.artifact.version;
        if (!this.options.versionAfterReboot) await this.client?.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify(this.firmwareReport()), { qos: 1 });
        if (abandoned()) return;
      }
      this.installed.add(jobId);
      await this.report(jobId, 'succeeded');
    } finally {
      this.working.delete(jobId);
      if (startOver) void this.work(jobId, document).catch(() => undefined);
    }
  }

  private async step(jobId: string, status: DeviceReportedJobStatus): Promise<void> {
    await this.report(jobId, status);
    if (this.options.stepMs) await new Promise((resolve) => setTimeout(resolve, this.options.stepMs));
  }

  private async report(jobId: string, status: DeviceReportedJobStatus): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (status === 'succeeded' && !this.successSent.has(jobId)) this.successSent.set(jobId, { at: Date.now(), connection: this.lostConnections + 1 });
    await client.publishAsync(`devices/${this.id}/jobs/${jobId}/status`, JSON.stringify({ status, ...(status === 'succeeded' ? { progress: 100 } : {}) }), { qos: 1 });
    if (status === 'succeeded' && !this.successAcked.has(jobId)) this.successAcked.set(jobId, Date.now());
  }
}
