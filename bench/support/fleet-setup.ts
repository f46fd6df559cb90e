import type { BenchServer } from './bench-server';

export interface DeviceLogin {
  id: string;
  password: string;
}

const BATCH = 10_000;

/** Registers `count` devices through the batch endpoint (CONTRACT §2) and returns their MQTT logins. */
export async function registerDevices(server: BenchServer, count: number, prefix: string, type = 'sensor'): Promise<DeviceLogin[]> {
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const logins: DeviceLogin[] = [];
  for (let offset = 0; offset < count; offset += BATCH) {
    const devices = Array.from({ length: Math.min(BATCH, count - offset) }, (_, i) => ({ id: `${prefix}-${String(offset + i).padStart(6, '0')}`, type }));
    const res = await fetch(`${server.http}/api/v1/devices/batch`, { method: 'POST', headers, body: JSON.stringify({ devices }) });
    if (res.status !== 201) throw new Error(`batch registration failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { devices: Array<{ id: string; credentials: { password: string } }> };
    logins.push(...body.devices.map((d) => ({ id: d.id, password: d.credentials.password })));
  }
  return logins;
}

export function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** The value of one Prometheus sample on the server's /metrics, e.g. `edgefleet_twin_reports_total{outcome="applied"}`. */
export async function scrapeMetric(server: Pick<BenchServer, 'http'>, sample: string): Promise<number> {
  return (await scrapeMetrics(server, [sample]))[0];
}

/** Several samples from one read of /metrics (NaN for one not there): one read matters where reading resets a value, as prom-client's event-loop histogram does. */
export async function scrapeMetrics(server: Pick<BenchServer, 'http'>, samples: readonly string[]): Promise<number[]> {
  const lines = (await (await fetch(`${server.http}/metrics`)).text()).split('\n');
  return samples.map((sample) => {
    const line = lines.find((l) => l.startsWith(`${sample} `));
    return line ? Number(line.slice(sample.length + 1)) : NaN;
  });
}
