import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';

/** A CONNECT that got no session, with why in a word or two ("CONNACK 3", "timed out", …) for counting. */
export class ConnectFailure extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** How a device signs in: its password, and for MQTTS its client certificate and the CA it trusts (or a secure context holding them). */
export interface RawLogin {
  id: string;
  password?: string;
  tls?: Pick<ConnectionOptions, 'ca' | 'key' | 'cert' | 'secureContext'>;
}

/**
 * A minimal MQTT 3.1.1 device for load generation: CONNECT, then QoS 0 PUBLISHes. One
 * socket and a few closures per device, where a full mqtt.js client costs tens of KB and
 * its own CPU, so 10,000 of them fit in the load generator next to the server on 2 cores.
 */
export class RawMqttDevice {
  /** QoS 1 PUBLISHes waiting for their PUBACK: packet id → when sent (performance.now()) and who waits for it. */
  private readonly unacked = new Map<number, { sentAt: number; settle?: (latencyMs: number) => void }>();
  private nextPacketId = 1;
  private onAck?: (latencyMs: number) => void;
  private inbound: Buffer = Buffer.alloc(0);
  /** Settles when the server (or we) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Resolves once CONNACK accepts the session (MQTT 3.1.1 §3.2.2.3); keep-alive is off (0), so no PINGREQs are needed. */
  static connect(host: string, port: number, login: RawLogin, localAddress?: string): Promise<RawMqttDevice> {
    const { id: clientId, password } = login;
    return new Promise((resolve, reject) => {
      const socket = login.tls ? connectTls({ host, port, ...login.tls }).setNoDelay(true) : connectTcp({ host, port, noDelay: true, localAddress });
      const timer = setTimeout(() => fail(new ConnectFailure(`CONNECT of ${clientId} timed out`, 'timed out')), 30_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      // Closed with no CONNACK (a load balancer whose node went away, a server at its cap): fail now, not at the timeout.
      const closedEarly = () => fail(new ConnectFailure(`CONNECT of ${clientId}: connection closed before CONNACK`, 'closed before CONNACK'));
      socket.once('error', fail);
      socket.once('close', closedEarly);
      socket.once(login.tls ? 'secureConnect' : 'connect', () => socket.write(connectPacket(clientId, password)));
      socket.once('data', (data) => {
        clearTimeout(timer);
        if (data[0] !== 0x20 || data[3] !== 0) return fail(new ConnectFailure(`CONNECT of ${clientId} refused (CONNACK ${data[3]})`, `CONNACK ${data[3]}`));
        socket.removeListener('error', fail);
        socket.removeListener('close', closedEarly);
        socket.on('error', () => undefined);
        const device = new RawMqttDevice(socket);
        // Nothing is subscribed: what the server sends is PUBACKs (and error notices are not subscribed to).
        socket.on('data', (chunk: Buffer) => device.received(chunk));
        resolve(device);
      });
    });
  }

  /** QoS 1 publishes are timed until their PUBACK, reported to `trackAcks`' callback. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): void {
    if (qos === 0) return void this.socket.write(publishPacket(topic, payload));
    this.socket.write(publishPacket(topic, payload, this.track()));
  }

  /** A QoS 1 PUBLISH; resolves with the milliseconds until its PUBACK (MQTT 3.1.1 §4.3.2). */
  publishAcked(topic: string, payload: string | Buffer): Promise<number> {
    return new Promise((resolve) => this.socket.write(publishPacket(topic, payload, this.track(resolve))));
  }

  /** Calls `onAck` with the PUBLISH → PUBACK time (ms) of every QoS 1 publish acknowledged from now on. */
  trackAcks(onAck: ((latencyMs: number) => void) | undefined): void {
    this.onAck = onAck;
  }

  /** QoS 1 publishes sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.unacked.size;
  }

  private track(settle?: (latencyMs: number) => void): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === 0xffff ? 1 : id + 1;
    this.unacked.set(id, { sentAt: performance.now(), settle });
    return id;
  }

  private received(chunk: Buffer): void {
    if (this.unacked.size === 0 && this.inbound.length === 0) return;
    this.inbound = this.inbound.length ? Buffer.concat([this.inbound, chunk]) : chunk;
    for (;;) {
      // Fixed header: type, then Remaining Length (MQTT 3.1.1 §2.2.3).
      let length = 0;
      let offset = 1;
      for (let shift = 0; offset < this.inbound.length; shift += 7) {
        const byte = this.inbound[offset++];
        length += (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
      }
      if (offset + length > this.inbound.length || this.inbound.length < 2) return;
      if (this.inbound[0] === 0x40 && length === 2) {
        const id = this.inbound.readUInt16BE(offset);
        const waiting = this.unacked.get(id);
        if (waiting) {
          this.unacked.delete(id);
          const latency = performance.now() - waiting.sentAt;
          waiting.settle?.(latency);
          this.onAck?.(latency);
        }
      }
      this.inbound = this.inbound.subarray(offset + length);
      if (this.inbound.length === 0) return;
    }
  }

  /** The same QoS 0 PUBLISH `times` times in one write: a generator that offers far more than a server can take. */
  publishRepeated(topic: string, payload: string, times: number): void {
    const packet = publishPacket(topic, payload);
    this.socket.write(Buffer.concat(Array.from({ length: times }, () => packet)));
  }

  /** SUBSCRIBE (QoS 0) to `filter` (§3.8); what arrives is read and skipped. */
  subscribe(filter: string): void {
    const topic = utf8Field(filter);
    const body = Buffer.concat([Buffer.from([0x00, 0x01]), topic, Buffer.from([0x00])]);
    this.socket.write(Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]));
  }

  /** SUBSCRIBE, then never read the socket again: a device that stops reading. */
  subscribeAndStopReading(filter: string): void {
    this.subscribe(filter);
    this.socket.removeAllListeners('data');
    this.socket.pause();
  }

  /** Bytes queued in user space: a load generator that falls behind shows here. */
  get backlogBytes(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.socket.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
  }
}

/** Connects many devices with at most `concurrency` CONNECTs in flight. */
export async function connectAll(
  host: string,
  port: number,
  logins: ReadonlyArray<RawLogin>,
  concurrency = 500,
  localAddress?: string,
): Promise<RawMqttDevice[]> {
  const devices: RawMqttDevice[] = new Array(logins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < logins.length; i = next++) devices[i] = await RawMqttDevice.connect(host, port, logins[i], localAddress);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, logins.length) }, worker));
  return devices;
}

function utf8Field(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const field = Buffer.allocUnsafe(2 + bytes.length);
  field.writeUInt16BE(bytes.length, 0);
  bytes.copy(field, 2);
  return field;
}

/** MQTT 3.1.1 §2.2.3 Remaining Length: 7 bits per byte, high bit = more follows. */
export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function connectPacket(clientId: string, password?: string): Buffer {
  // §3.1.2: protocol name "MQTT", level 4, flags: user name + password (when given) + clean session, keep-alive 0.
  const flags = 0x80 | (password === undefined ? 0 : 0x40) | 0x02;
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, flags, 0x00, 0x00]);
  const fields = [utf8Field(clientId), utf8Field(clientId), ...(password === undefined ? [] : [utf8Field(password)])];
  const body = Buffer.concat([variable, ...fields]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** §3.3: QoS 0 without a packet id, QoS 1 with one. */
function publishPacket(topic: string, payload: string | Buffer, packetId?: number): Buffer {
  const topicField = utf8Field(topic);
  const payloadBytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const id = packetId === undefined ? Buffer.alloc(0) : Buffer.from([packetId >> 8, packetId & 0xff]);
  const header = packetId === undefined ? 0x30 : 0x32;
  return Buffer.concat([Buffer.from([header]), remainingLength(topicField.length + id.length + payloadBytes.length), topicField, id, payloadBytes]);
}
