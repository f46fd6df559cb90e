import { type MqttClient, connectAsync } from 'mqtt';
import type { DeviceLogin } from './fleet-setup';

/** A desired-state change not delivered by then is lost: the bench fails rather than wait. */
const LOST_MS = 10_000;

export interface ProbeDevice {
  login: DeviceLogin;
  /** The node's own MQTT address, not the load balancer's: the bench knows which node holds it. */
  mqtt: string;
}

/**
 * Cross-node delivery: each probe device holds a session on one node, and an operator changes
 * its desired state through another node's REST API (`PATCH /api/v1/devices/{id}/twin/desired`);
 * the time until `devices/{id}/state/desired` with the new value reaches the device is one sample.
 */
export class DeliveryProbes {
  private constructor(
    private readonly clients: MqttClient[],
    private readonly probes: readonly ProbeDevice[],
  ) {}

  static async connect(probes: readonly ProbeDevice[]): Promise<DeliveryProbes> {
    const clients = await Promise.all(
      probes.map(async ({ login, mqtt }) => {
        const client = await connectAsync(mqtt, { clientId: login.id, username: login.id, password: login.password, protocolVersion: 4, reconnectPeriod: 0 });
        await client.subscribeAsync(`devices/${login.id}/state/desired`, { qos: 1 });
        return client;
      }),
    );
    return new DeliveryProbes(clients, probes);
  }

  /** Each probe in turn, `rounds` times, PATCHed at `http` with `token`; resolves with the latencies (ms), sorted. */
  async measure(http: string, token: string, rounds: number, pauseMs: number): Promise<number[]> {
    const samples: number[] = [];
    await Promise.all(
      this.clients.map(async (client, i) => {
        const { id } = this.probes[i].login;
        for (let round = 1; round <= rounds; round++) {
          const marker = `${Date.now()}-${round}`;
          const arrived = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`desired state of ${id} not delivered within ${LOST_MS} ms`)), LOST_MS);
            const onMessage = (_topic: string, payload: Buffer) => {
              if ((JSON.parse(payload.toString()) as { state?: { probe?: string } }).state?.probe !== marker) return;
              client.off('message', onMessage);
              clearTimeout(timer);
              resolve();
            };
            client.on('message', onMessage);
          });
          const started = performance.now();
          const res = await fetch(`${http}/api/v1/devices/${id}/twin/desired`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ probe: marker }),
          });
          if (!res.ok) throw new Error(`PATCH desired of ${id}: ${res.status} ${await res.text()}`);
          await arrived;
          samples.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }),
    );
    return samples.sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync(true)));
  }
}
