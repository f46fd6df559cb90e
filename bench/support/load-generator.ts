import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { RawLogin } from './raw-mqtt';

export type GeneratorCommand =
  | { type: 'connect'; host: string; port: number; logins: RawLogin[]; concurrency: number }
  | { type: 'start-load'; ratePerDevice: number }
  | { type: 'stop-load' }
  | { type: 'status' }
  | { type: 'close' };

/** A generator's devices: connected now, reconnects started, given up, QoS 0 reports sent by its current load, and failed CONNECT attempts by reason since its previous reply. */
export interface GeneratorStatus {
  connected: number;
  reconnects: number;
  failed: number;
  sent: number;
  failures: Record<string, number>;
}

/** Failed CONNECT attempts of several generators, e.g. "CONNACK 3 ×120, ECONNRESET ×4", or "none". */
export function describeFailures(statuses: readonly GeneratorStatus[]): string {
  const totals = new Map<string, number>();
  for (const status of statuses) for (const [reason, count] of Object.entries(status.failures)) totals.set(reason, (totals.get(reason) ?? 0) + count);
  return totals.size ? [...totals].map(([reason, count]) => `${reason} ×${count}`).join(', ') : 'none';
}

export type GeneratorReply = { id: number; status: GeneratorStatus; error?: undefined } | { id: number; error: string };

/**
 * A load-generator process (load-generator-worker.ts) holding its share of a bench's devices:
 * devices beyond one process' open-files limit need several, and a process of their own keeps
 * their CPU apart from the bench's measurements.
 */
export class LoadGenerator {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (status: GeneratorStatus) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: GeneratorReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error !== undefined) waiter?.reject(new Error(`load generator: ${reply.error}`));
      else waiter?.resolve(reply.status);
    });
    child.on('exit', (code) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`load generator exited with ${code}`));
      this.waiting.clear();
    });
  }

  /**
   * `niceness`: its scheduling priority (os.setPriority, 0–19). The devices it plays would have
   * CPUs of their own; on the bench's shared cores a positive value keeps it from starving the
   * servers under test (a node restarting while every device reconnects, for one).
   */
  static start(niceness = 0): LoadGenerator {
    const child = fork(join(__dirname, 'load-generator-worker.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (niceness) setPriority(child.pid!, niceness);
    return new LoadGenerator(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a command; resolves with the generator's status once it is done (a `connect` once every device has its CONNACK or was given up). */
  request(command: GeneratorCommand): Promise<GeneratorStatus> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, command });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
