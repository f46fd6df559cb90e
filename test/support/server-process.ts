import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'fleet-server', 'src', 'main.js');

export interface ReadyInfo {
  http: string;
  mqtt?: string;
  ws?: string;
  mqtts?: string;
}

/** The real server as a child process (built by `npm test`'s pretest), as an operator would run it. */
export class ServerProcess {
  stdout = '';
  stderr = '';
  private exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk) => (this.stdout += chunk));
    child.stderr!.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** `openFiles`: run it under that RLIMIT_NOFILE (via prlimit), as an operator's `ulimit -n` would. */
  static spawn(env: Record<string, string>, options: { openFiles?: number } = {}): ServerProcess {
    const [command, args] = options.openFiles
      ? ['prlimit', [`--nofile=${options.openFiles}:${options.openFiles}`, process.execPath, MAIN]]
      : [process.execPath, [MAIN]];
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH, HTTP_PORT: '0', MQTT_PORT: '0', MQTT_WS_PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child);
  }

  /** Resolves with the addresses from the EDGEFLEET_READY line; rejects if the process exits first. */
  async ready(timeoutMs = 60_000): Promise<ReadyInfo> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      const line = this.stdout.split('\n').find((l) => l.startsWith('EDGEFLEET_READY '));
      if (line) return JSON.parse(line.slice('EDGEFLEET_READY '.length)) as ReadyInfo;
      if (exitCode !== undefined) throw new Error(`server exited with ${exitCode} before ready:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`server not ready in ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
  }

  exit(): Promise<number | null> {
    return this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
