import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ServerAddresses {
  http: string;
  mqtt: string;
  ws?: string;
  mqtts?: string;
}

const READY_PREFIX = 'EDGEFLEET_READY ';

/**
 * The fleet server as a child process, started the way an operator starts it (CONTRACT §1):
 * ready once it prints `EDGEFLEET_READY {json}`, stopped with SIGTERM. Its output goes to a
 * log file, so a terminal progress bar is not interleaved with server logs.
 */
export class ServerChild {
  private constructor(
    private readonly child: ChildProcess,
    readonly addresses: ServerAddresses,
    readonly logFile: string,
    /** Resolves with the exit code (or signal name) when the process ends. */
    readonly exited: Promise<number | string>,
  ) {}

  static async start(main: string, env: NodeJS.ProcessEnv, logFile: string, timeoutMs = 120_000): Promise<ServerChild> {
    const log = createWriteStream(logFile, { flags: 'a' });
    // Its own process group: a terminal's Ctrl-C goes to the foreground group, and would reach the
    // server and its embedded Postgres directly, in no particular order. The demo stops it instead.
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    void exited.then(() => (process.off('exit', killOnExit), log.end()));
    child.stderr!.pipe(log, { end: false });
    let buffered = '';
    const ready = new Promise<ServerAddresses>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString('utf8');
        const line = buffered.split('\n').find((candidate) => candidate.startsWith(READY_PREFIX));
        if (line === undefined) return;
        clearTimeout(timer);
        buffered = '';
        resolve(JSON.parse(line.slice(READY_PREFIX.length)) as ServerAddresses);
      });
      void exited.then((code) => (clearTimeout(timer), reject(new Error(`the server exited (${code}) before it was ready`))));
    });
    try {
      return new ServerChild(child, await ready, logFile, exited);
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
      throw new Error(`${(error as Error).message}; last lines of ${logFile}:\n${tail}`);
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 30_000): Promise<number | string> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
