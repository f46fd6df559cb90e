import { appendFileSync, existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { probeProcess } from '../../libs/database/src/embedded/process-probe';
import { waitFor } from '../support/mqtt-device';
import { ServerProcess } from '../support/server-process';
import { Operator } from './support/operator';
import { spawnedServers } from './support/spawned-servers';

interface Health {
  status: string;
  db: { status: string; embedded?: { state: string; restarts: number } };
}

const health = async (base: string): Promise<Health> => (await fetch(`${base}/health`)).json() as Promise<Health>;
const postmasterPid = (dataDir: string): number => Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
// A zombie is not alive: PID 1 here (and in some containers) is slow to reap what the killed server left.
const alive = (pid: number): boolean => probeProcess(pid) !== undefined;
const tokenOf = (server: ServerProcess): string => /EDGEFLEET_ADMIN_TOKEN (\S+)/.exec(server.stdout)![1];

/** Logs in as the embedded cluster's superuser; resolves with the Postgres error code on failure. */
async function loginCode(dataDir: string, password: string): Promise<string | undefined> {
  const port = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3].trim();
  const client = new Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', password, database: 'postgres' });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('embedded Postgres: supervised, owned by one server, private', () => {
  const { dataDir, spawn } = spawnedServers('edgefleet-pg-life-');

  it('restarts a postmaster killed with SIGKILL; /health shows it meanwhile and counts the restart', async () => {
    const dir = dataDir();
    const server = spawn({ FLEET_DATA_DIR: dir });
    const { http } = await server.ready();
    const operator = new Operator(http, tokenOf(server));
    expect((await health(http)).db.embedded).toEqual({ state: 'running', restarts: 0 });
    const before = postmasterPid(dir);

    process.kill(before, 'SIGKILL');
    const down = await waitFor(() => health(http), (h) => h.db.status === 'down');
    expect(down.status).toBe('degraded');
    const up = await waitFor(() => health(http), (h) => h.db.status === 'up', 30_000);
    expect(up.db.embedded).toMatchObject({ state: 'running', restarts: 1 });
    expect(postmasterPid(dir)).not.toBe(before);
    expect(await (await fetch(`${http}/metrics`)).text()).toMatch(/^edgefleet_embedded_postgres_restarts_total 1$/m);
    // The pool's broken connections are replaced: the API works again.
    expect((await operator.request('POST', '/api/v1/devices', { id: 'after-restart', type: 'cam' })).status).toBe(201);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('gives up after bounded restart attempts: one line, exit 4', async () => {
    const dir = dataDir();
    const server = spawn({ FLEET_DATA_DIR: dir });
    const { http } = await server.ready();
    // Every restart will now fail: Postgres refuses its configuration.
    appendFileSync(join(dir, 'postgres', 'postgresql.conf'), '\nshared_buffers = lots\n');
    process.kill(postmasterPid(dir), 'SIGKILL');
    const restarting = await waitFor(() => health(http), (h) => h.db.embedded?.state === 'restarting');
    expect(restarting.status).toBe('degraded');

    expect(await server.exit()).toBe(4);
    const lines = server.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^EdgeFleet: the embedded Postgres died and 5 restart attempts failed; last: Postgres did not start \(exit code 1\): .*configuration file/);
    expect(existsSync(join(dir, 'postgres.lock'))).toBe(false);
  }, 90_000);

  it('refuses a second server on the same data folder, which touches nothing of the first', async () => {
    const dir = dataDir();
    const first = spawn({ FLEET_DATA_DIR: dir });
    const { http } = await first.ready();
    const pidFile = readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8');

    const second = spawn({ FLEET_DATA_DIR: dir });
    expect(await second.exit()).toBe(3);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`is held by EdgeFleet process ${first.child.pid}`);
    expect(second.stdout).not.toContain('EDGEFLEET_READY');

    expect(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).toBe(pidFile);
    expect(alive(postmasterPid(dir))).toBe(true);
    expect((await health(http)).status).toBe('ok');
    const operator = new Operator(http, tokenOf(first));
    expect((await operator.request('POST', '/api/v1/devices', { id: 'still-served', type: 'cam' })).status).toBe(201);
  });

  it('after kill -9 of the server, the next start stops the orphaned postmaster and starts with the data kept', async () => {
    const dir = dataDir();
    const first = spawn({ FLEET_DATA_DIR: dir });
    const ready = await first.ready();
    const token = tokenOf(first);
    expect((await new Operator(ready.http, token).request('POST', '/api/v1/devices', { id: 'kept', type: 'cam' })).status).toBe(201);
    const orphan = postmasterPid(dir);
    await first.stop('SIGKILL');
    expect(alive(orphan)).toBe(true);

    const second = spawn({ FLEET_DATA_DIR: dir, LOG_LEVEL: 'warn' });
    const again = await second.ready();
    expect(alive(orphan)).toBe(false);
    expect(second.stdout).toContain(`stopping the embedded Postgres (pid ${orphan}) left running by an EdgeFleet process that is gone`);
    expect((await new Operator(again.http, token).request('GET', '/api/v1/devices/kept')).status).toBe(200);
    const restarted = postmasterPid(dir);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(alive(restarted)).toBe(false);
  });

  it('keeps a random superuser password in a 0600 file, and moves a cluster off the old fixed password', async () => {
    const dir = dataDir();
    const passwordFile = join(dir, 'postgres.password');
    const first = spawn({ FLEET_DATA_DIR: dir });
    await first.ready();
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(password).not.toBe('edgefleet');
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(await loginCode(dir, 'edgefleet')).toBe('28P01');
    expect(await loginCode(dir, password)).toBeUndefined();

    // A cluster made before passwords were per cluster: the fixed password and no file.
    const client = new Client({ connectionString: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3].trim()}/postgres` });
    await client.connect();
    await client.query(`ALTER ROLE postgres PASSWORD 'edgefleet'`);
    await client.end();
    expect(await first.stop('SIGTERM')).toBe(0);
    unlinkSync(passwordFile);

    const second = spawn({ FLEET_DATA_DIR: dir });
    await second.ready();
    const moved = readFileSync(passwordFile, 'utf8').trim();
    expect(moved).not.toBe(password);
    expect(await loginCode(dir, 'edgefleet')).toBe('28P01');
    expect(await loginCode(dir, moved)).toBeUndefined();
  });

  it("a start that Postgres refuses logs Postgres's own cause in one line at the default level", async () => {
    const dir = dataDir();
    const first = spawn({ FLEET_DATA_DIR: dir });
    await first.ready();
    expect(await first.stop('SIGTERM')).toBe(0);
    appendFileSync(join(dir, 'postgres', 'postgresql.conf'), '\nshared_buffers = lots\n');

    const server = spawn({ FLEET_DATA_DIR: dir, LOG_LEVEL: 'info' });
    expect(await server.exit()).toBe(1);
    const fatal = server.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0].msg).toMatch(/^start failed: Postgres did not start \(exit code 1\): .*FATAL: configuration file ".*postgresql\.conf" contains errors/);
    expect(fatal[0].msg).not.toContain('\n');
  });

  it('exits at once with one line naming FLEET_DATA_DIR when it cannot be made', async () => {
    const started = Date.now();
    const server = spawn({ FLEET_DATA_DIR: '/proc/nope' });
    expect(await server.exit()).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000);
    const lines = server.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('FLEET_DATA_DIR: cannot create /proc/nope');
  });
});
