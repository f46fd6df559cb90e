import { randomBytes } from 'node:crypto';
import { waitFor } from '../../support/mqtt-device';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** An operator talking to a running server over real HTTP (CONTRACT §2). */
export class Operator {
  constructor(
    private base: string,
    private readonly token: string,
  ) {}

  /** After a restart the server may listen elsewhere. */
  moveTo(base: string): void {
    this.base = base;
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Registers `cam` devices in one batch; returns their passwords by id. */
  async registerDevices(ids: readonly string[]): Promise<Map<string, string>> {
    const response = await this.request('POST', '/api/v1/devices/batch', { devices: ids.map((id) => ({ id, type: 'cam' })) });
    if (response.status !== 201) throw new Error(`batch registration: ${response.status} ${JSON.stringify(response.body)}`);
    return new Map(response.body.devices.map((d: { id: string; credentials: { password: string } }) => [d.id, d.credentials.password]));
  }

  async uploadFirmware(version: string): Promise<{ id: string; version: string }> {
    const form = new FormData();
    form.append('name', `fw-${version}-${randomBytes(3).toString('hex')}`);
    form.append('version', version);
    form.append('deviceTypes', 'cam');
    form.append('file', new Blob([randomBytes(2048)]), 'firmware.bin');
    const response = await fetch(`${this.base}/api/v1/artifacts`, { method: 'POST', headers: { authorization: `Bearer ${this.token}` }, body: form });
    const body = (await response.json()) as { id: string };
    if (response.status !== 201) throw new Error(`artifact upload: ${response.status} ${JSON.stringify(body)}`);
    return { id: body.id, version };
  }

  async createRollout(definition: unknown): Promise<{ id: string }> {
    const response = await this.request('POST', '/api/v1/rollouts', definition);
    if (response.status !== 201) throw new Error(`rollout: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  rollout(id: string): Promise<any> {
    return this.request('GET', `/api/v1/rollouts/${id}`).then((r) => r.body);
  }

  async rolloutDevices(id: string): Promise<Array<{ deviceId: string; status: string; attempts: number; jobId: string }>> {
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await this.request('GET', `/api/v1/rollouts/${id}/devices?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (page.status !== 200) throw new Error(`rollout devices: ${page.status} ${JSON.stringify(page.body)}`);
      items.push(...page.body.items);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  async waitForRollout(id: string, accept: (rollout: any) => boolean, timeoutMs = 30_000): Promise<any> {
    return waitFor(() => this.rollout(id).catch(() => undefined), (r) => r !== undefined && accept(r), timeoutMs);
  }

  /** The sum of a Prometheus metric's samples on `/metrics`. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name) && !line.startsWith('#'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  async onlineIds(): Promise<string[]> {
    const response = await this.request('GET', '/api/v1/devices?status=online&limit=1000');
    return response.body.items.map((d: { id: string }) => d.id);
  }
}
