import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '@edgefleet/common';
import { waitFor } from './mqtt-device';
import { scratchDir } from './scratch-dir';

const BIN = '/usr/lib/postgresql/15/bin';

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

/**
 * A Postgres cluster of the system's own binaries (Debian's postgresql-15), outside the server
 * under test: a test can kill its postmaster (SIGKILL, as a crash or the OOM killer would) and
 * start it again on the same port and data, while the server keeps running against it.
 */
export class StandalonePostgres {
  private child?: ChildProcess;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<StandalonePostgres> {
    const dir = scratchDir('edgefleet-standalone-pg-');
    const data = join(dir, 'data');
    const user = postgresUser();
    chownSync(dir, user.uid, user.gid);
    const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...user, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const server = new StandalonePostgres(dir, await findFreePort());
    await server.start();
    return server;
  }

  /** The postmaster's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * Starts the postmaster and resolves once it accepts connections. Right after a SIGKILL its
   * backends may still hold the shared memory for a moment, and a new postmaster exits at
   * once on seeing that; it is started again then, up to 20 times.
   */
  async start(): Promise<void> {
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    for (let attempt = 1; ; attempt++) {
      const child = spawn(join(BIN, 'postgres'), args, { ...postgresUser(), stdio: 'ignore' });
      this.child = child;
      const up = await waitFor(async () => (child.exitCode !== null ? 'exited' : (await this.accepts()) ? 'up' : 'starting'), (state) => state !== 'starting', 20_000);
      if (up === 'up') return;
      if (attempt === 20) throw new Error('postgres did not start');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** SIGKILL to the postmaster, from its postmaster.pid (as a crash or the OOM killer would); resolves once it is gone. */
  async kill(): Promise<void> {
    const pid = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => this.child?.exitCode !== null || this.child?.signalCode !== null, Boolean, 10_000);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    return this.url(name);
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGINT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async accepts(): Promise<boolean> {
    const client = new Client({ connectionString: this.url(), connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  }
}
