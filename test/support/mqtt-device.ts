import { type IClientOptions, type MqttClient, connectAsync } from 'mqtt';

export interface DeviceLogin {
  id: string;
  password: string;
}

/** Connects as a device the way CONTRACT §3 says (MQTT 3.1.1, clientId = username = id); no reconnects. */
export function connectDevice(url: string, login: DeviceLogin, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, {
    clientId: login.id,
    username: login.id,
    password: login.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
}

/** The CONNACK return code a CONNECT gets (0 = accepted; the session is then closed). */
export async function connackCode(url: string, options: IClientOptions): Promise<number> {
  try {
    const client = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    await client.endAsync();
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

/** Messages arriving on a client, by topic, for assertions. */
export function collect(client: MqttClient): Array<{ topic: string; payload: string }> {
  const received: Array<{ topic: string; payload: string }> = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  return received;
}

export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected && client.disconnected) return resolve();
    client.once('close', () => resolve());
  });
}

export async function waitFor<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
