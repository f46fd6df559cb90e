import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadSigningKey } from '@edgefleet/device-sdk';
import { Fleet, INSTANT_DEVICES } from '@edgefleet/fleet-sim';
import { waitFor } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';
import { type TestDatabase, createTestDatabase } from '../support/test-database';
import { CliRunner } from './support/cli-runner';
import { Operator } from './support/operator';

/**
 * CONTRACT §7: `edgefleet rollouts watch ID` shows live progress and exits 0 when the rollout
 * completes, non-zero when it ends otherwise; here against simulated devices (libs/fleet-sim,
 * real SDK clients over MQTT) of the real server process.
 */
// Each test starts the CLI as a new process a dozen times or more; on a loaded CI machine that is slow.
jest.setTimeout(180_000);

describe('edgefleet rollouts watch on real rollouts to simulated devices', () => {
  const token = `efk_e2e_${randomBytes(16).toString('hex')}`;
  let database: TestDatabase;
  let dir: string;
  let server: ServerProcess;
  let operator: Operator;
  let cli: CliRunner;
  let mqtt: string;
  let http: string;
  const fleets: Fleet[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = scratchDir('edgefleet-e2e-cli-watch-');
    server = ServerProcess.spawn({
      DATABASE_URL: database.url,
      FLEET_DATA_DIR: join(dir, 'data'),
      FLEET_ADMIN_TOKEN: token,
      ROLLOUT_TICK_MS: '50',
      ROLLOUT_RETRY_BACKOFF_MS: '100',
      ROLLOUT_RETRY_BACKOFF_MAX_MS: '400',
      // One event stream per token: a second watch is answered 429 and must wait its turn.
      SSE_MAX_STREAMS_PER_TOKEN: '1',
    });
    const ready = await server.ready();
    mqtt = ready.mqtt!;
    http = ready.http;
    operator = new Operator(ready.http, token);
    cli = new CliRunner({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), EDGEFLEET_SERVER: ready.http, EDGEFLEET_TOKEN: token });
  });
  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await server?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `installTime`: how long each device takes to install (ms), 50–150 unless given. */
  async function startFleet(prefix: string, count: number, failRate: number, installTime = { min: 50, max: 150 }): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const passwords = await operator.registerDevices(ids);
    const signingKey = await fetch(`${http}/api/v1/signing-key`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    const fleet = new Fleet({
      ...INSTANT_DEVICES,
      failRate,
      installTime,
      latency: { min: 20, max: 80 },
      mqttUrl: mqtt,
      logins: ids.map((id) => ({ id, password: passwords.get(id)! })),
      firmware: '1.0.0',
      signingKey: loadSigningKey(signingKey),
      connectRate: 1_000,
    });
    fleets.push(fleet);
    await fleet.start();
    await waitFor(() => operator.onlineIds(), (online) => ids.every((id) => online.includes(id)), 15_000);
    return ids;
  }

  it('follows a firmware rollout wave by wave and exits 0 when it completes', async () => {
    // Installs of 1–1.5 s and a start 3 s out: the watch is attached before the rollout runs and sees
    // it running for seconds. With instant devices it sometimes started after the rollout had ended
    // (a loaded host starts the CLI's node slowly) and drew only the final frame.
    const ids = await startFleet('watch-ok', 8, 0, { min: 1_000, max: 1_500 });
    const artifact = await operator.uploadFirmware('2.0.0');
    const file = join(dir, 'rollout.yaml');
    const startAt = new Date(Date.now() + 3_000).toISOString();
    writeFileSync(
      file,
      stringify({
        name: 'watch to completion',
        type: 'firmware',
        artifactId: artifact.id,
        target: { deviceIds: ids },
        strategy: { waves: [25, 100], maxInFlight: 4, deviceTimeoutSeconds: 60, retries: 0 },
        schedule: { startAt },
      }),
    );
    const created = await cli.json(['rollouts', 'create', '-f', file]);
    expect(created).toMatchObject({ name: 'watch to completion', state: 'scheduled' }); // its targets are resolved when it starts

    const watch = await cli.run(['rollouts', 'watch', created.id, '-o', 'json', '--timeout', '60']);
    expect(watch.code).toBe(0);
    const final = JSON.parse(watch.stdout);
    expect(final).toEqual(await operator.rollout(created.id));
    expect(final).toMatchObject({ state: 'completed', targetCount: 8, counts: { succeeded: 8 } });
    // Progress on stderr: a line for the rollout, a bar per wave, the last one full.
    const lines = watch.stderr.trimEnd().split('\n');
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(/^rollout watch to completion \(.+\): completed · \d+s$/),
      expect.stringMatching(/^ {2}wave 1 \(25%\)\s+\[█{30}\] 100%\s+2\/2 succeeded · 0 in flight$/),
      expect.stringMatching(/^ {2}wave 2 \(100%\)\s+\[█{30}\] 100%\s+6\/6 succeeded · 0 in flight$/),
    ]);
    expect(lines.some((line) => /^rollout watch to completion .*: running/.test(line))).toBe(true);

    // A finished rollout: watch returns at once with the same verdict.
    const again = await cli.run(['rollouts', 'watch', created.id]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/STATE\s+completed/) });
    expect((await cli.json(['rollouts', 'list', '--state', 'completed'])).map((r: { id: string }) => r.id)).toEqual([created.id]);
    expect((await cli.json(['rollouts', 'devices', created.id])).map((job: { status: string }) => job.status)).toEqual(Array(8).fill('succeeded'));
  });

  it('exits 6 with the reason when the rollout aborts past its failure threshold', async () => {
    const ids = await startFleet('watch-fail', 6, 1);
    const file = join(dir, 'failing.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'watch to abort',
        type: 'config',
        config: { mode: 'broken' },
        target: { deviceIds: ids },
        strategy: { waves: [50, 100], maxInFlight: 3, retries: 0, deviceTimeoutSeconds: 60, failureThreshold: { percent: 10, minSamples: 2 } },
      }),
    );
    const preview = await cli.json(['rollouts', 'preview', '-f', file]);
    expect(preview).toMatchObject({ targetCount: 6, waves: [{ count: 3 }, { count: 3 }] });

    const run = await cli.run(['rollouts', 'create', '-f', file, '--watch', '--timeout', '60']);
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/STATE\s+aborted/);
    expect(run.stderr).toMatch(/^error: rollout .+ ended aborted: .+$/m);
    const id = /^ID\s+(\S+)$/m.exec(run.stdout)![1];
    expect(await operator.rollout(id)).toMatchObject({ state: 'aborted' });

    expect(await cli.run(['rollouts', 'pause', id])).toMatchObject({ code: 4 });
    expect(await cli.run(['rollouts', 'watch', '00000000-0000-0000-0000-000000000000'])).toMatchObject({ code: 3 });
    expect(await cli.run(['rollouts', 'create', '-f', join(dir, 'none.yaml')])).toMatchObject({ code: 2 });
    writeFileSync(join(dir, 'bad.yaml'), 'name: [unclosed');
    expect(await cli.run(['rollouts', 'create', '-f', join(dir, 'bad.yaml')])).toMatchObject({ code: 2, stderr: expect.stringContaining('bad.yaml') });
    writeFileSync(join(dir, 'invalid.yaml'), 'name: x\ntype: firmware\ntarget: {}\n');
    expect(await cli.run(['rollouts', 'create', '-f', join(dir, 'invalid.yaml')])).toMatchObject({ code: 2, stderr: expect.stringContaining('400') });
  });

  it('pause, resume and cancel a running rollout', async () => {
    const ids = await startFleet('watch-ctl', 2, 0);
    // A target that is offline keeps the rollout running while it is controlled.
    await operator.registerDevices(['watch-ctl-offline']);
    const file = join(dir, 'control.json');
    writeFileSync(file, JSON.stringify({ name: 'control', type: 'config', config: { a: 1 }, target: { deviceIds: [...ids, 'watch-ctl-offline'] } }));
    const created = await cli.json(['rollouts', 'create', '-f', file]);
    expect(await cli.json(['rollouts', 'pause', created.id])).toMatchObject({ state: 'paused' });
    expect(await cli.json(['rollouts', 'resume', created.id])).toMatchObject({ state: 'running' });
    const watching = cli.start(['rollouts', 'watch', created.id]);
    await waitFor(() => watching.output().stderr, (text) => text.includes('running'), 10_000);
    // The server allows this token one stream: the second watch is refused 429, waits as
    // Retry-After says and tries again, and gets its stream once the first one has ended.
    const second = cli.start(['rollouts', 'watch', created.id]);
    await waitFor(() => second.output().stderr, (text) => text.includes('too many event streams open (429)'), 10_000);
    expect(await cli.json(['rollouts', 'cancel', created.id])).toMatchObject({ state: 'cancelled' });
    expect(await watching.done).toMatchObject({ code: 6, stderr: expect.stringContaining('ended cancelled') });
    expect(await second.done).toMatchObject({ code: 6, stderr: expect.stringContaining('ended cancelled') });
    expect(await cli.json(['rollouts', 'get', created.id])).toMatchObject({ state: 'cancelled' });
  });
});
