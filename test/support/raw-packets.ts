import { type Socket, connect } from 'node:net';
import { remainingLength } from '../../bench/support/raw-mqtt';

/** MQTT 3.1.1 packets built byte by byte, so a test can send what a well-behaved client library never would. */
export function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/** CONNECT with user name and password, clean session, keep-alive off; `level` 4 is MQTT 3.1.1. */
export function connectPacket(clientId: string | Buffer, username: string | Buffer, password: string, level = 4): Buffer {
  const header = Buffer.concat([mqttString('MQTT'), Buffer.from([level, 0xc2, 0x00, 0x00])]);
  return packet(0x10, Buffer.concat([header, mqttString(clientId), mqttString(username), mqttString(password)]));
}

export function publishPacket(topic: string | Buffer, payload: string | Buffer, qos: 0 | 1 = 0, packetId = 1): Buffer {
  const id = Buffer.alloc(qos ? 2 : 0);
  if (qos) id.writeUInt16BE(packetId);
  return packet(0x30 | (qos << 1), Buffer.concat([mqttString(topic), id, Buffer.from(payload)]));
}

/** A raw TCP connection to the broker that records every byte it receives and when it closed. */
export class RawConnection {
  received = Buffer.alloc(0);
  closed = false;
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (data) => (this.received = Buffer.concat([this.received, data])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  /** `localAddress` (another loopback address, say) makes the connection come from another source. */
  static open(url: string, localAddress?: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The CONNACK return code once it arrived, else undefined. */
  get connackCode(): number | undefined {
    return this.received.length >= 4 && this.received[0] === 0x20 ? this.received[3] : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
