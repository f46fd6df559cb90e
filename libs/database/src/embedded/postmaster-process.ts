import { type ChildProcess, spawn } from 'node:child_process';
import type { PostgresAccount } from './postgres-binaries';

/** Messages in English whatever the host's locale: readiness and causes are read from them. */
export const POSTGRES_ENV = { ...process.env, LC_MESSAGES: 'C' };

const READY = 'database system is ready to accept connections';
/** A fast shutdown that has not finished by then is escalated to an immediate one (SIGQUIT). */
const FAST_SHUTDOWN_TIMEOUT_MS = 60_000;

export interface PostmasterOptions {
  postgres: string;
  dataDir: string;
  port: number;
  flags: string[];
  account?: PostgresAccount;
  onLog: (line: string) => void;
}

/**
 * One run of the postmaster, as a child of this process in its own process group: a Ctrl-C in a
 * terminal signals the whole foreground group, and Postgres would shut down under the server while
 * it still flushes its writes; the server stops it itself, last.
 */
export class PostmasterProcess {
  /** Resolves when the postmaster exits, for whatever reason, with how it ended. */
  readonly exited: Promise<string>;
  private readonly child: ChildProcess;
  private readonly causes: string[] = [];

  private constructor(options: PostmasterOptions) {
    this.child = spawn(options.postgres, ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: POSTGRES_ENV,
      ...(options.account ? { uid: options.account.uid, gid: options.account.gid } : {}),
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => resolve(error.message));
      this.child.on('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
    const onOutput = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        options.onLog(line.trim());
        if (/\b(FATAL|PANIC|HINT|DETAIL):/.test(line)) this.causes.push(line.replace(/^.*?\b(FATAL|PANIC|HINT|DETAIL):\s*/, '$1: ').trim());
      }
    };
    this.child.stdout!.on('data', onOutput);
    this.child.stderr!.on('data', onOutput);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the postmaster and resolves once it accepts connections; rejects with Postgres's own cause in one line. */
  static async start(options: PostmasterOptions): Promise<PostmasterProcess> {
    const postmaster = new PostmasterProcess(options);
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        if (!chunk.toString('utf8').includes(READY)) return;
        postmaster.child.stderr!.off('data', onData);
        resolve();
      };
      postmaster.child.stderr!.on('data', onData);
      void postmaster.exited.then((how) => reject(new Error(`Postgres did not start (${how})${postmaster.cause()}`)));
    });
    return postmaster;
  }

  /** What Postgres said went wrong (its FATAL, DETAIL and HINT lines), as one line. */
  cause(): string {
    return this.causes.length ? `: ${this.causes.slice(-3).join(' ')}` : '';
  }

  /** Fast shutdown (SIGINT): clients are disconnected, open transactions rolled back, then a checkpoint. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGQUIT'), FAST_SHUTDOWN_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
