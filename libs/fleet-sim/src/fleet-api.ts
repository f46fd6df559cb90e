import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** How a simulated device signs in: its password, or (`--auth cert`) its certificate and key (PEM). */
export interface DeviceLogin {
  id: string;
  password?: string;
  certificate?: { cert: string; key: string };
}

export interface RolloutWaveView {
  wave: number;
  percent: number;
  total: number;
  counts: Record<string, number>;
}

export interface RolloutView {
  id: string;
  state: string;
  reason?: string | null;
  targetCount?: number;
  currentWave?: number;
  counts?: Record<string, number>;
  waves?: RolloutWaveView[];
  [key: string]: unknown;
}

/** The operator REST API (CONTRACT §2), only the calls the simulator and the demo make. */
export class FleetApi {
  /**
   * @param signal aborts any request in flight (Ctrl-C)
   * @param timeoutMs a request not answered by then fails, so a server that hangs cannot hang its caller
   */
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly signal?: AbortSignal,
    private readonly timeoutMs = 120_000,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const isForm = body instanceof FormData;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  /** Registers devices in batches of up to 10,000 (the API's limit), each batch all or nothing. */
  async registerDevices(devices: Array<{ id: string; type: string; tags?: Record<string, string> }>): Promise<DeviceLogin[]> {
    const logins: DeviceLogin[] = [];
    for (let start = 0; start < devices.length; start += 10_000) {
      const batch = devices.slice(start, start + 10_000);
      const result = await this.request<{ devices: Array<{ id: string; credentials: { password: string } }> }>('POST', '/api/v1/devices/batch', {
        devices: batch,
      });
      for (const device of result.devices) logins.push({ id: device.id, password: device.credentials.password });
    }
    return logins;
  }

  async deviceExists(id: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/api/v1/devices/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new Error(`GET /api/v1/devices/${id} answered ${response.status}`);
    return true;
  }

  /** The fleet CA (PEM) the MQTTS server certificate is checked against. */
  fleetCa(): Promise<string> {
    return this.request<string>('GET', '/api/v1/ca');
  }

  /** Signs a CSR (CN = the device id) with the fleet CA; the certificate's PEM. */
  async signCertificate(deviceId: string, csr: string): Promise<string> {
    return (await this.request<{ certificate: string }>('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/certificates`, { csr })).certificate;
  }

  signingKey(): Promise<string> {
    return this.request<string>('GET', '/api/v1/signing-key');
  }

  async uploadArtifact(file: string, fields: { name: string; version: string; deviceTypes: string[] }): Promise<{ id: string; size: number; sha256: string }> {
    const form = new FormData();
    form.set('name', fields.name);
    form.set('version', fields.version);
    form.set('deviceTypes', fields.deviceTypes.join(','));
    form.set('file', new Blob([await readFile(file)]), basename(file));
    return this.request('POST', '/api/v1/artifacts', form);
  }

  createRollout(body: Record<string, unknown>): Promise<RolloutView> {
    return this.request('POST', '/api/v1/rollouts', body);
  }

  rollout(id: string): Promise<RolloutView> {
    return this.request('GET', `/api/v1/rollouts/${encodeURIComponent(id)}`);
  }
}
