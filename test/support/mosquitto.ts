import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { scratchDir } from './scratch-dir';
import { findFreePort } from '@edgefleet/common';

export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

/** A real Mosquitto (Debian package `mosquitto`, installed by .ci/run) on a free loopback port, anonymous access. */
export async function startMosquitto(): Promise<Mosquitto> {
  const port = await findFreePort();
  const dir = scratchDir('edgefleet-mosquitto-');
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'max_queued_messages 100000', ''].join('\n'));
  const child = spawn(MOSQUITTO_BINARY, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPort(port, child);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () => stopChild(child),
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
