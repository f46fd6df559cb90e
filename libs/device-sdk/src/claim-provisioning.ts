import { randomBytes } from 'node:crypto';
import { type IClientOptions, connectAsync } from 'mqtt';
import { CLAIM_CLIENT_ID_PREFIX, claimRequestTopic, claimResponseTopic } from '@edgefleet/contracts';
import type { IssuedCertificate } from './certificate-renewal';

export interface ClaimProvisioningOptions {
  /** Broker URL (any listener: `mqtt://`, `mqtts://`, `ws://`). */
  url: string;
  /** The claim credential burnt into the device: `{username: "claim:{id}", password}`. */
  claim: { username: string; password: string };
  /** The id the device wants. */
  deviceId: string;
  /** A PEM CSR with subject CN = `deviceId` to get a certificate; without one the device gets a password. */
  csr?: string;
  timeoutMs?: number;
  /** Extra mqtt.js options (e.g. `{ ca }` for `mqtts://`). */
  mqtt?: IClientOptions;
}

export type ClaimAnswer = ({ deviceId: string } & IssuedCertificate) | { deviceId: string; credentials: { username: string; password: string } };

/** Provisioning by claim (docs/protocol.md §1.3): connects with the claim, asks for the device's identity, returns it. Given once per device id. */
export async function provisionByClaim(options: ClaimProvisioningOptions): Promise<ClaimAnswer> {
  const claimId = options.claim.username.replace(/^claim:/, '');
  const nonce = randomBytes(8).toString('hex');
  const client = await connectAsync(options.url, {
    ...options.mqtt,
    clientId: `${CLAIM_CLIENT_ID_PREFIX}${nonce}`,
    username: options.claim.username,
    password: options.claim.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs ?? 10_000,
  });
  try {
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the claim request')), options.timeoutMs ?? 30_000);
      client.once('message', (_topic, payload) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
        } catch {
          reject(new Error('the claim answer is not JSON'));
        }
      });
    });
    await client.subscribeAsync(claimResponseTopic(claimId, nonce), { qos: 1 });
    const request = options.csr === undefined ? { deviceId: options.deviceId } : { deviceId: options.deviceId, csr: options.csr };
    await client.publishAsync(claimRequestTopic(claimId, nonce), JSON.stringify(request), { qos: 1 });
    const result = await answer;
    if (typeof result.error === 'string') throw new Error(`claim refused: ${result.error}`);
    return result as unknown as ClaimAnswer;
  } finally {
    await client.endAsync();
  }
}
