import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { connectDevice } from '../support/mqtt-device';
import { scratchDir } from '../support/scratch-dir';
import { ServerProcess } from '../support/server-process';
import { type TestDatabase, createTestDatabase } from '../support/test-database';
import { CliRunner } from './support/cli-runner';
import { Operator } from './support/operator';

/**
 * CONTRACT §7: the `edgefleet` bin as a child process against the real server process, as an
 * operator or a CI job runs it: contexts, every command's happy path, the main errors and the
 * exit codes a pipeline relies on.
 */
// Each test starts the CLI as a new process a dozen times or more; on a loaded CI machine that is slow.
jest.setTimeout(180_000);

describe('edgefleet CLI against the real server', () => {
  const token = `efk_e2e_${randomBytes(16).toString('hex')}`;
  let database: TestDatabase;
  let dir: string;
  let server: ServerProcess;
  let http: string;
  let mqtt: string;
  let operator: Operator;
  /** Server and token from the environment, as in CI. */
  let cli: CliRunner;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = scratchDir('edgefleet-e2e-cli-');
    server = ServerProcess.spawn({ DATABASE_URL: database.url, FLEET_DATA_DIR: join(dir, 'data'), FLEET_ADMIN_TOKEN: token });
    ({ http, mqtt } = (await server.ready()) as { http: string; mqtt: string });
    operator = new Operator(http, token);
    cli = new CliRunner({ HOME: join(dir, 'home-env'), XDG_CONFIG_HOME: join(dir, 'config-env'), EDGEFLEET_SERVER: http, EDGEFLEET_TOKEN: token });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login saves a context 0600 in the config dir; context use/list switch; env and flags override it', async () => {
    const config = join(dir, 'config-login');
    const user = new CliRunner({ HOME: join(dir, 'home-login'), XDG_CONFIG_HOME: config });
    expect(await user.run(['devices', 'list'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no server') });

    const bad = await user.run(['login', '--server', http, '--token', 'efk_not_a_token', '--name', 'bad']);
    expect(bad).toMatchObject({ code: 5, stderr: expect.stringMatching(/^error: login to .*401/m) });

    expect((await user.run(['login', '--server', http, '--token', token, '--name', 'local'])).code).toBe(0);
    const viewer = await operator.request('POST', '/api/v1/api-keys', { name: 'cli viewer', role: 'viewer' });
    expect((await user.run(['login', '--server', `${http}/`, '--token', viewer.body.token, '--name', 'readonly'])).code).toBe(0);

    const file = join(config, 'edgefleet', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, 'edgefleet')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      current: 'readonly',
      contexts: { local: { server: http, token }, readonly: { server: http, token: viewer.body.token } },
    });

    const listed = await user.json(['context', 'list']);
    expect(listed).toEqual([
      { name: 'local', server: http, current: false },
      { name: 'readonly', server: http, current: true },
    ]);
    expect((await user.run(['context', 'list'])).stdout).not.toContain(token);

    // The current context is the viewer: writing is 403 → exit 5, reading works.
    const refused = await user.run(['devices', 'register', '--type', 'cam', '--id', 'ctx-1']);
    expect(refused).toMatchObject({ code: 5, stderr: expect.stringMatching(/^error: register device: 403 /m) });
    expect((await user.run(['devices', 'list'])).code).toBe(0);
    expect((await user.run(['devices', 'register', '--type', 'cam', '--id', 'ctx-1', '--context', 'local'])).code).toBe(0);
    expect((await user.run(['devices', 'register', '--type', 'cam', '--id', 'ctx-2'], { EDGEFLEET_TOKEN: token })).code).toBe(0);
    expect((await user.run(['devices', 'register', '--type', 'cam', '--id', 'ctx-3', '--token', token])).code).toBe(0);

    expect((await user.run(['context', 'use', 'local'])).code).toBe(0);
    expect((await user.run(['devices', 'register', '--type', 'cam', '--id', 'ctx-4'])).code).toBe(0);
    expect(await user.run(['context', 'use', 'nope'])).toMatchObject({ code: 3 });
    expect((await user.run(['context', 'delete', 'readonly'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ current: 'local', contexts: { local: { server: http, token } } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // EDGEFLEET_SERVER beats the context: nothing listens there.
    expect(await user.run(['devices', 'list'], { EDGEFLEET_SERVER: 'http://127.0.0.1:9' })).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach the server') });
  });

  it('devices: register, get, list -o json equal to the API, tag, rotate-credentials, decommission, and 404 / 409 / usage errors', async () => {
    const registered = await cli.json(['devices', 'register', '--type', 'meter', '--id', 'meter-1', '--name', 'Meter one', '--tag', 'site:syd']);
    expect(registered).toMatchObject({ id: 'meter-1', type: 'meter', name: 'Meter one', tags: { site: 'syd' }, credentials: { username: 'meter-1', password: expect.any(String) } });
    expect(await cli.run(['devices', 'register', '--type', 'meter', '--id', 'meter-1'])).toMatchObject({ code: 4, stderr: expect.stringContaining('409') });
    await cli.json(['devices', 'register', '--type', 'meter', '--id', 'meter-2', '--tag', 'site:mel']);

    const listed = await cli.json(['devices', 'list', '--type', 'meter']);
    const api = await operator.request('GET', '/api/v1/devices?type=meter');
    expect(listed).toEqual(api.body.items);
    expect(await cli.json(['devices', 'list', '--type', 'meter', '--tag', 'site:mel'])).toEqual([expect.objectContaining({ id: 'meter-2' })]);
    expect(await cli.json(['devices', 'get', 'meter-1'])).toEqual((await operator.request('GET', '/api/v1/devices/meter-1')).body);
    const yaml = await cli.run(['devices', 'list', '--type', 'meter', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout)).toEqual(api.body.items);

    const table = await cli.run(['devices', 'list', '--type', 'meter']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+TYPE\s+STATUS\s+FIRMWARE\s+TAGS$/);
    expect(table.stdout).toMatch(/meter-1\s+Meter one\s+meter\s+offline\s+-\s+site:syd/);
    expect(table.stdout).not.toContain('\x1b[');
    const narrow = await cli.run(['devices', 'list', '--type', 'meter'], { COLUMNS: '54' });
    expect(Math.max(...narrow.stdout.trimEnd().split('\n').map((line) => line.length))).toBeLessThanOrEqual(54);
    expect(narrow.stdout).toContain('…');

    expect(await cli.json(['devices', 'tag', 'meter-1', 'floor:2', 'site:bne'])).toMatchObject({ tags: { site: 'bne', floor: '2' } });
    expect(await cli.json(['devices', 'tag', 'meter-1', '--remove', 'floor'])).toMatchObject({ tags: { site: 'bne' } });
    expect(await cli.run(['devices', 'tag', 'meter-1', 'not-a-tag'])).toMatchObject({ code: 2 });

    const rotated = await cli.json(['devices', 'rotate-credentials', 'meter-1']);
    expect(rotated).toEqual({ username: 'meter-1', password: expect.any(String) });
    expect(rotated.password).not.toBe(registered.credentials.password);

    expect((await cli.run(['devices', 'decommission', 'meter-2'])).code).toBe(0);
    expect(await cli.run(['devices', 'get', 'meter-2'])).toMatchObject({ code: 3, stdout: '', stderr: "error: device meter-2: 404 device 'meter-2' not found\n" });
    expect(await cli.run(['devices', 'list', '--token', 'efk_bad'])).toMatchObject({ code: 5, stderr: expect.stringMatching(/401/) });
    expect(await cli.run(['devices', 'list', '--limit', 'x'])).toMatchObject({ code: 2 });
    expect(await cli.run(['devices', 'frobnicate'])).toMatchObject({ code: 2 });
    expect(await cli.run(['devices', 'list', '-o', 'xml'])).toMatchObject({ code: 2 });
  });

  it('groups and twins: static group membership, dynamic selector, desired set/patch with --if-match (stale: exit 4)', async () => {
    await operator.registerDevices(['tw-1', 'tw-2']);
    const group = await cli.json(['groups', 'create', 'twin-group']);
    expect((await cli.run(['groups', 'add', group.id, 'tw-1', 'tw-2'])).code).toBe(0);
    expect((await cli.json(['devices', 'list', '--group', group.id])).map((d: { id: string }) => d.id)).toEqual(['tw-1', 'tw-2']);
    expect((await cli.run(['groups', 'remove', group.id, 'tw-2'])).code).toBe(0);
    expect((await cli.json(['devices', 'list', '--group', group.id])).map((d: { id: string }) => d.id)).toEqual(['tw-1']);
    const dynamic = await cli.json(['groups', 'create', 'cams', '--type', 'cam', '--tag', 'site:syd']);
    expect(dynamic).toMatchObject({ dynamic: true, selector: { type: 'cam', tag: ['site:syd'] } });
    expect((await cli.json(['groups', 'list'])).map((g: { name: string }) => g.name).sort()).toEqual(['cams', 'twin-group']);
    expect(await cli.json(['groups', 'get', group.id])).toEqual((await operator.request('GET', `/api/v1/groups/${group.id}`)).body);
    expect((await cli.run(['groups', 'delete', dynamic.id])).code).toBe(0);

    const patched = await cli.json(['twin', 'desired', 'patch', 'tw-1', 'telemetry.interval=30', 'mode=eco', '{"led":true}']);
    expect(patched).toMatchObject({ desired: { telemetry: { interval: 30 }, mode: 'eco', led: true }, desiredVersion: 1 });
    expect(await cli.run(['twin', 'desired', 'patch', 'tw-1', 'mode=off', '--if-match', '0'])).toMatchObject({ code: 4, stderr: expect.stringContaining('412') });
    expect(await cli.json(['twin', 'desired', 'patch', 'tw-1', 'led=null', '--if-match', '1'])).toMatchObject({ desired: { telemetry: { interval: 30 }, mode: 'eco' }, desiredVersion: 2 });

    const file = join(dir, 'desired.yaml');
    writeFileSync(file, 'mode: off\nnetwork:\n  wifi: lab\n');
    const set = await cli.json(['twin', 'desired', 'set', 'tw-1', '-f', file]);
    expect(set.desired).toEqual({ mode: 'off', network: { wifi: 'lab' } });
    expect(await cli.json(['twin', 'get', 'tw-1'])).toEqual((await operator.request('GET', '/api/v1/devices/tw-1/twin')).body);
    expect(await cli.run(['twin', 'desired', 'set', 'tw-1', 'mode=x', '--if-match', '1'])).toMatchObject({ code: 4 });
    expect(await cli.run(['twin', 'desired', 'set', 'tw-1', '-f', join(dir, 'missing.yaml')])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
    expect(await cli.run(['twin', 'get', 'nope'])).toMatchObject({ code: 3 });
  });

  it('artifacts: upload with progress, list, get, verify (offline after one fetch), and a tampered file fails with exit 7', async () => {
    const image = join(dir, 'fw-3.0.0.bin');
    writeFileSync(image, randomBytes(300 * 1024));
    const upload = await cli.run(['artifacts', 'upload', image, '--name', 'cli-fw', '--version', '3.0.0', '--device-types', 'cam,meter', '-o', 'json']);
    expect(upload.code).toBe(0);
    expect(upload.stderr).toMatch(/upload \[█{30}\] 100%\s+300\.0 KiB\/300\.0 KiB/);
    const artifact = JSON.parse(upload.stdout);
    expect(artifact).toMatchObject({ name: 'cli-fw', version: '3.0.0', deviceTypes: ['cam', 'meter'], size: 300 * 1024 });
    expect(await cli.json(['artifacts', 'get', artifact.id])).toEqual(artifact);
    expect(await cli.json(['artifacts', 'list'])).toEqual([artifact]);
    expect(await cli.run(['artifacts', 'upload', image, '--name', 'cli-fw', '--version', '3.0.0', '--device-types', 'cam'])).toMatchObject({ code: 4 });

    const verified = await cli.json(['artifacts', 'verify', image, '--artifact', artifact.id]);
    expect(verified).toMatchObject({ ok: true, sha256: { ok: true, actual: artifact.sha256 }, signature: { ok: true, keyId: artifact.signingKeyId } });
    // Offline: no token, and the server is not asked (its address is not even reachable).
    const offline = await cli.run(['artifacts', 'verify', image, '--artifact', artifact.id, '--offline'], { EDGEFLEET_TOKEN: '' });
    expect(offline).toMatchObject({ code: 0, stdout: expect.stringMatching(/signature\s+ok/) });

    const tampered = join(dir, 'tampered.bin');
    const bytes = readFileSync(image);
    bytes[1000] ^= 1;
    writeFileSync(tampered, bytes);
    const bad = await cli.run(['artifacts', 'verify', tampered, '--artifact', artifact.id, '--offline']);
    expect(bad).toMatchObject({ code: 7, stdout: expect.stringMatching(/sha256\s+MISMATCH/) });
    expect(bad.stdout).toMatch(/signature\s+INVALID/);
    const metadata = join(dir, 'fw.json');
    writeFileSync(metadata, JSON.stringify({ ...artifact, version: '3.0.1' }));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, await (await fetch(`${http}/api/v1/signing-key`, { headers: { authorization: `Bearer ${token}` } })).text());
    // A different version in the metadata: the hash matches, the signature over the version does not.
    expect(await cli.run(['artifacts', 'verify', image, '--metadata', metadata, '--key', keyFile, '--offline'])).toMatchObject({ code: 7 });
    expect(await cli.run(['artifacts', 'verify', join(dir, 'nothing.bin'), '--artifact', artifact.id])).toMatchObject({ code: 2 });
    writeFileSync(keyFile, 'not a key');
    expect(await cli.run(['artifacts', 'verify', image, '--metadata', metadata, '--key', keyFile])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot check the signature') });
  });

  it('api-keys, audit and health: a revoked token stops working (exit 5), the audit shows who did it', async () => {
    const key = await cli.json(['api-keys', 'create', 'ci job', '--role', 'operator']);
    expect(key).toMatchObject({ name: 'ci job', role: 'operator', token: expect.stringMatching(/^efk_/) });
    expect((await cli.json(['api-keys', 'list'])).map((k: { name: string }) => k.name)).toContain('ci job');
    expect((await cli.run(['devices', 'list'], { EDGEFLEET_TOKEN: key.token })).code).toBe(0);
    expect(await cli.run(['api-keys', 'create', 'x', '--role', 'root'])).toMatchObject({ code: 2 });
    expect((await cli.run(['api-keys', 'revoke', key.id])).code).toBe(0);
    expect(await cli.run(['devices', 'list'], { EDGEFLEET_TOKEN: key.token })).toMatchObject({ code: 5 });

    const audit = await cli.json(['audit', '--resource-type', 'api-key', '--all']);
    expect(audit).toEqual((await operator.request('GET', '/api/v1/audit?resourceType=api-key&limit=1000')).body.items);
    expect(audit.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['api-key.create', 'api-key.revoke']));

    const health = await cli.run(['health'], { EDGEFLEET_TOKEN: '' });
    expect(health).toMatchObject({ code: 0, stdout: expect.stringMatching(/status\s+ok/) });
    expect(await cli.run(['health'], { EDGEFLEET_SERVER: 'http://127.0.0.1:9' })).toMatchObject({ code: 1 });
  });

  it('devices import: 20,000 devices from CSV with progress on stderr, passwords in a new 0600 file; list --all -o json returns them all', async () => {
    const count = 20_000;
    const file = join(dir, 'factory.csv');
    const rows = Array.from({ length: count }, (_, i) => `imp-${String(i).padStart(5, '0')},Unit ${i},sensor,"line:a;batch:${i % 7}"`);
    writeFileSync(file, `id,name,type,tags\n${rows.join('\n')}\n`);
    const credentials = join(dir, 'factory-passwords.csv');

    const run = await cli.run(['devices', 'import', file, '--credentials', credentials]);
    expect(run.code).toBe(0);
    const progress = run.stderr.split('\n').filter((line) => line.startsWith('import ['));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[progress.length - 1]).toMatch(/^import \[█{30}\] 100%\s+20,000\/20,000 devices · [\d,]+\/s$/);
    expect(run.stdout).toContain(`registered 20,000 devices, refused 0; passwords in ${credentials}`);

    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const lines = readFileSync(credentials, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('id,username,password');
    expect(lines).toHaveLength(count + 1);
    // Two batches are in flight at once, so their rows land in the order the server answers.
    const saved = new Map(lines.slice(1).map((line) => { const [id, username, password] = line.split(','); return [id, { username, password }]; }));
    expect(saved.size).toBe(count);
    expect(saved.get('imp-00000')).toEqual({ username: 'imp-00000', password: expect.stringMatching(/^.{20,}$/) });
    expect(saved.get('imp-19999')).toEqual({ username: 'imp-19999', password: expect.stringMatching(/^.{20,}$/) });
    // The file's passwords are the devices' real credentials.
    const device = await connectDevice(mqtt, { id: 'imp-12345', password: saved.get('imp-12345')!.password });
    await device.endAsync();

    const all = await cli.run(['devices', 'list', '--type', 'sensor', '--all', '-o', 'json']);
    expect(all.code).toBe(0);
    const devices = JSON.parse(all.stdout) as Array<{ id: string; tags: Record<string, string> }>;
    expect(devices).toHaveLength(count);
    expect(devices[4321]).toMatchObject({ id: 'imp-04321', tags: { line: 'a', batch: String(4321 % 7) } });
    const firstPage = await operator.request('GET', '/api/v1/devices?type=sensor&limit=1000');
    expect(devices.slice(0, 1000)).toEqual(firstPage.body.items);
    // An existing credentials file is never overwritten: it may hold the only copy of passwords.
    expect(await cli.run(['devices', 'import', file, '--credentials', credentials])).toMatchObject({ code: 2, stderr: expect.stringContaining('exists') });
  });

  it('devices import: bad rows and taken ids are refused by line number, the rest registered (exit 8); a bad file is exit 2', async () => {
    await operator.registerDevices(['mix-taken']);
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        '{"id":"mix-1","type":"cam"}',
        '{"id":"mix-2"}',
        'not json',
        '{"id":"mix-taken","type":"cam"}',
        '{"id":"mix-3","type":"cam","tags":{"site":"syd"}}',
        '{"id":"mix-1","type":"cam"}',
      ].join('\n'),
    );
    const credentials = join(dir, 'mixed.credentials.jsonl');
    const run = await cli.run(['devices', 'import', file, '--credentials', credentials]);
    expect(run.code).toBe(8);
    expect(run.stderr).toContain(`${file}:2: type: required`);
    expect(run.stderr).toContain(`${file}:3: not JSON`);
    expect(run.stderr).toMatch(new RegExp(`${file}:4: .*already registered: mix-taken`));
    expect(run.stderr).toContain(`${file}:6: id mix-1 appears earlier in the file`);
    const saved = readFileSync(credentials, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(saved.map((entry: { id: string }) => entry.id)).toEqual(['mix-1', 'mix-3']);
    expect((await cli.json(['devices', 'list', '-q', 'mix-'])).map((d: { id: string }) => d.id)).toEqual(['mix-1', 'mix-3', 'mix-taken']);

    const noType = join(dir, 'no-type.csv');
    writeFileSync(noType, 'id,name\nx,y\n');
    expect(await cli.run(['devices', 'import', noType, '--credentials', join(dir, 'c1.csv')])).toMatchObject({ code: 2, stderr: expect.stringContaining("must name a 'type' column") });
    expect(await cli.run(['devices', 'import', join(dir, 'absent.csv')])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
    expect(await cli.run(['devices', 'import', join(dir, 'devices.txt')])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format') });
  });

  it('help with examples for commands, completion scripts for bash and zsh, --version', async () => {
    const help = await cli.run(['devices', 'import', '--help']);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('Examples:') });
    expect((await cli.run(['--help'])).stdout).toMatch(/Exit codes:[\s\S]*3 {2}not found/);
    const bash = await cli.run(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -o default -F _edgefleet edgefleet');
    expect(bash.stdout).toContain('"rollouts") commands="create preview list ls get devices watch pause resume cancel"');
    expect((await cli.run(['completion', 'zsh'])).stdout).toMatch(/^#compdef edgefleet/);
    expect(await cli.run(['completion', 'fish'])).toMatchObject({ code: 2 });
    expect((await cli.run(['--version'])).stdout).toBe(`${JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version}\n`);
  });
});
