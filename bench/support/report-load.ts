import type { RawMqttDevice } from './raw-mqtt';

/** Per-device schedule granularity: devices are spread over slots so the load is steady, not bursts every period. */
const SLOT_MS = 5;

export interface ReportLoadOptions {
  /** Reports per second per device. */
  ratePerDevice: number;
  /** The payload of a device's `seq`-th report, sent at `sentAt` (epoch ms). */
  payload(deviceIndex: number, seq: number, sentAt: number): string;
  /** The topic for a device, e.g. `devices/{id}/state/reported`. */
  topic(deviceIndex: number): string;
  /** MQTT QoS of the reports; QoS 1 ones are timed until their PUBACK (RawMqttDevice.trackAcks). */
  qos?: 0 | 1;
}

/**
 * Devices publishing at a steady rate each, spread evenly over the period. Records the
 * seq and time of every device's last report, for lag probes.
 */
export class ReportLoad {
  sent = 0;
  readonly lastSeq: Int32Array;
  readonly lastSentAt: Float64Array;
  private timer?: NodeJS.Timeout;
  private readonly topics: string[];

  constructor(
    private readonly devices: readonly RawMqttDevice[],
    private readonly options: ReportLoadOptions,
  ) {
    this.lastSeq = new Int32Array(devices.length);
    this.lastSentAt = new Float64Array(devices.length);
    this.topics = devices.map((_, i) => options.topic(i));
  }

  start(): void {
    const periodMs = 1000 / this.options.ratePerDevice;
    const slots = Math.max(1, Math.round(periodMs / SLOT_MS));
    const started = Date.now();
    let doneSlots = 0;
    this.timer = setInterval(() => {
      const dueSlots = Math.floor((Date.now() - started) / SLOT_MS);
      for (; doneSlots < dueSlots; doneSlots++) {
        const slot = doneSlots % slots;
        const now = Date.now();
        for (let i = slot; i < this.devices.length; i += slots) this.send(i, now);
      }
    }, SLOT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Bytes the load generator could not hand to the kernel yet (a sign it, not the server, is the bottleneck). */
  backlogBytes(): number {
    return this.devices.reduce((sum, device) => sum + device.backlogBytes, 0);
  }

  private send(index: number, now: number): void {
    const seq = this.lastSeq[index] + 1;
    this.lastSeq[index] = seq;
    this.lastSentAt[index] = now;
    this.devices[index].publish(this.topics[index], this.options.payload(index, seq, now), this.options.qos ?? 0);
    this.sent++;
  }
}

/** The reported state a bench device sends: a changing counter and its send time, plus firmware on the first report. */
export function benchReport(_deviceIndex: number, seq: number, sentAt: number): string {
  return seq === 1 ? `{"seq":${seq},"sentAt":${sentAt},"firmware":{"version":"1.0.0"}}` : `{"seq":${seq},"sentAt":${sentAt},"temp":${20 + (seq % 10)}}`;
}
