import { type MqttClient, connectAsync } from 'mqtt';

/** A device that reports `{seq}` at QoS 1 as fast as it is acknowledged, reconnecting by itself, and records what was acknowledged when. */
export class ReportingDevice {
  acked = 0;
  readonly ackTimes: Array<{ seq: number; sentAt: number; ackedAt: number }> = [];
  private running = true;
  private done?: Promise<void>;
  private constructor(
    readonly id: string,
    private readonly client: MqttClient,
  ) {}

  static async connect(url: string, id: string, password: string): Promise<ReportingDevice> {
    const client = await connectAsync(url, { clientId: id, username: id, password, protocolVersion: 4, reconnectPeriod: 300, connectTimeout: 5_000 });
    client.on('error', () => undefined);
    return new ReportingDevice(id, client);
  }

  start(): void {
    this.done = (async () => {
      for (let seq = 1; this.running; seq++) {
        const sentAt = Date.now();
        try {
          await this.client.publishAsync(`devices/${this.id}/state/reported`, JSON.stringify({ seq }), { qos: 1 });
          this.acked = Math.max(this.acked, seq);
          this.ackTimes.push({ seq, sentAt, ackedAt: Date.now() });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    await this.client.endAsync(true);
  }
}
