import { connect as connectTcp, type Socket } from 'node:net';
import { type SecureContextOptions, connect as connectTls } from 'node:tls';

/** How a device signs in: its password, and for MQTTS its client certificate and the CA it trusts. */
export interface RawLogin {
  id: string;
  password?: string;
  tls?: SecureContextOptions;
}

/**
 * A minimal MQTT 3.1.1 device for load generation: CONNECT, then QoS 0 PUBLISHes. One
 * socket and a few closures per device, where a full mqtt.js client costs tens of KB and
 * its own CPU, so 10,000 of them fit in the load generator next to the server on 2 cores.
 */
export class RawMqttDevice {
  private constructor(private readonly socket: Socket) {}

  /** Resolves once CONNACK accepts the session (MQTT 3.1.1 §3.2.2.3); keep-alive is off (0), so no PINGREQs are needed. */
  static connect(host: string, port: number, login: RawLogin): Promise<RawMqttDevice> {
    const { id: clientId, password } = login;
    return new Promise((resolve, reject) => {
      const socket = login.tls ? connectTls({ host, port, ...login.tls }).setNoDelay(true) : connectTcp({ host, port, noDelay: true });
      const timer = setTimeout(() => fail(new Error(`CONNECT of ${clientId} timed out`)), 30_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once(login.tls ? 'secureConnect' : 'connect', () => socket.write(connectPacket(clientId, password)));
      socket.once('data', (data) => {
        clearTimeout(timer);
        if (data[0] !== 0x20 || data[3] !== 0) return fail(new Error(`CONNECT of ${clientId} refused (CONNACK ${data[3]})`));
        socket.removeListener('error', fail);
        socket.on('error', () => undefined);
        socket.on('data', () => undefined); // nothing is subscribed; drain whatever the server sends
        resolve(new RawMqttDevice(socket));
      });
    });
  }

  publish(topic: string, payload: string): void {
    this.socket.write(publishPacket(topic, payload));
  }

  /** The same QoS 0 PUBLISH `times` times in one write: a generator that offers far more than a server can take. */
  publishRepeated(topic: string, payload: string, times: number): void {
    const packet = publishPacket(topic, payload);
    this.socket.write(Buffer.concat(Array.from({ length: times }, () => packet)));
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
): Promise<RawMqttDevice[]> {
  const devices: RawMqttDevice[] = new Array(logins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < logins.length; i = next++) devices[i] = await RawMqttDevice.connect(host, port, logins[i]);
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
function remainingLength(length: number): Buffer {
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

function publishPacket(topic: string, payload: string): Buffer {
  const topicField = utf8Field(topic);
  const payloadBytes = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from([0x30]), remainingLength(topicField.length + payloadBytes.length), topicField, payloadBytes]);
}
