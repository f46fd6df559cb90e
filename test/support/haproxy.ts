import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findFreePort } from '@edgefleet/common';
import { waitFor } from './mqtt-device';

/** The committed HAProxy configuration, the one a cluster deployment uses (found from test/support/ and from its build in dist/). */
const CONFIG = ((): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const config = join(dir, 'deploy', 'haproxy', 'haproxy.cfg');
    if (existsSync(config)) return config;
  }
  throw new Error(`deploy/haproxy/haproxy.cfg not found above ${__dirname}`);
})();

/** The load balancer's own ports; free ones unless given. */
export interface HaproxyPorts {
  mqtt: number;
  ws: number;
  http: number;
}

export interface NodeAddresses {
  mqtt: string;
  ws: string;
  http: string;
}

/** Debian's haproxy in the foreground with deploy/haproxy/haproxy.cfg, in front of three nodes. */
export class HaproxyProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly mqttUrl: string,
    readonly wsUrl: string,
    readonly httpUrl: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * `ports`: bind these. HAProxy binds with SO_REUSEPORT, so several processes given the same
   * ports share them (the kernel spreads new connections over them), each with its own
   * open-files limit: how a bench carries more devices than one process can proxy.
   * `bindAddress`: where they listen (e.g. 0.0.0.0 for every loopback address).
   */
  static async start(nodes: readonly NodeAddresses[], ports?: HaproxyPorts, bindAddress = '127.0.0.1'): Promise<HaproxyProcess> {
    if (nodes.length !== 3) throw new Error('deploy/haproxy/haproxy.cfg names three nodes');
    const { mqtt, ws, http } = ports ?? { mqtt: await findFreePort(), ws: await findFreePort(), http: await findFreePort() };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', MQTT_BIND: `${bindAddress}:${mqtt}`, WS_BIND: `${bindAddress}:${ws}`, HTTP_BIND: `${bindAddress}:${http}` };
    nodes.forEach((node, i) => {
      env[`NODE${i + 1}_MQTT`] = hostPort(node.mqtt);
      env[`NODE${i + 1}_WS`] = hostPort(node.ws);
      env[`NODE${i + 1}_HTTP`] = hostPort(node.http);
    });
    const child = spawn('/usr/sbin/haproxy', ['-f', CONFIG, '-db'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    await waitFor(async () => (child.exitCode !== null ? 'exited' : (await accepts(mqtt)) ? 'up' : 'starting'), (state) => state !== 'starting', 10_000).then((state) => {
      if (state === 'exited') throw new Error(`haproxy exited: ${stderr}`);
    });
    return new HaproxyProcess(child, `mqtt://127.0.0.1:${mqtt}`, `ws://127.0.0.1:${ws}/mqtt`, `http://127.0.0.1:${http}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function hostPort(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port}`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
