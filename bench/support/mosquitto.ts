import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@edgefleet/common';

export interface Mosquitto {
  host: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const BINARY = process.env.BENCH_MOSQUITTO ?? '/usr/sbin/mosquitto';

/** A real Mosquitto (Debian package `mosquitto`) on a free loopback port, anonymous, no persistence: the raw-broker yardstick. */
export async function startMosquitto(): Promise<Mosquitto> {
  const port = await findFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_connections -1', 'log_dest none', ''].join('\n'));
  const child: ChildProcess = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}`)));
    const probe = () => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => setTimeout(probe, 50));
    };
    probe();
  });
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

