import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as sdkSource from '@edgefleet/device-sdk';

const run = promisify(execFile);
const root = resolve(__dirname, '../../..');
const rootManifest = require(join(root, 'package.json')) as { dependencies: Record<string, string> };

async function sh(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The SDK as an outsider gets it: built, packed with `npm pack`, unpacked into a project in
 * the OS temp folder (outside the monorepo, so nothing resolves from it by accident) that
 * has only `mqtt` and `@types/node` besides the package.
 */
describe('@edgefleet/device-sdk as a standalone npm package', () => {
  let work: string;
  let app: string;
  let installed: string;
  let packedFiles: string[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgefleet-sdk-package-'));
    const build = join(work, 'build');
    await sh(process.execPath, [join(root, 'scripts/build-sdk.js'), '--out', build], root);

    const npmEnv = ['--ignore-scripts', '--json', `--cache=${join(work, 'npm-cache')}`];
    const [packed] = JSON.parse(await sh('npm', ['pack', build, '--pack-destination', work, ...npmEnv], work)) as {
      filename: string;
      files: { path: string }[];
    }[];
    packedFiles = packed.files.map((file) => file.path);

    app = join(work, 'app');
    installed = join(app, 'node_modules/@edgefleet/device-sdk');
    await mkdir(installed, { recursive: true });
    await mkdir(join(app, 'node_modules/@types'), { recursive: true });
    await sh('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1'], work);
    await symlink(join(root, 'node_modules/mqtt'), join(app, 'node_modules/mqtt'), 'dir');
    await symlink(join(root, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'), 'dir');
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true }));
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs the built output only, depending on mqtt alone at the version the server is tested with', async () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'index.js', 'index.d.ts', 'contracts/index.js', 'contracts/index.d.ts']));
    expect(packedFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@edgefleet/device-sdk', version: '0.1.0', main: './index.js', types: './index.d.ts' });
    expect(manifest.dependencies).toEqual({ mqtt: rootManifest.dependencies.mqtt });
    expect(manifest.peerDependencies).toBeUndefined();
  });

  it('carries its own copy of the contracts: no file refers to the monorepo', async () => {
    const files = (await filesUnder(installed)).filter((file) => /\.(js|d\.ts)$/.test(file));
    const leaks: string[] = [];
    for (const file of files) {
      if ((await readFile(file, 'utf8')).includes('@edgefleet/')) leaks.push(file);
    }
    expect(leaks).toEqual([]);
  });

  it('loads with require() from a plain Node script, with the same exports as the source', async () => {
    const script = `
      const sdk = require('@edgefleet/device-sdk');
      const { jobStatusTopic } = require('@edgefleet/device-sdk/contracts');
      const client = new sdk.DeviceClient({ url: 'mqtt://127.0.0.1:1', deviceId: 'cam-1', password: 'p', firmwareVersion: '1.0.0', state: { temp: 20 } });
      console.log(JSON.stringify({
        exports: Object.keys(sdk).sort(),
        types: { DeviceClient: typeof sdk.DeviceClient, Backoff: typeof sdk.Backoff, fetchSigningKey: typeof sdk.fetchSigningKey },
        state: client.state,
        online: client.online,
        topic: jobStatusTopic('cam-1', 'job-1'),
      }));
    `;
    const out = JSON.parse(await sh(process.execPath, ['-e', script], app));
    expect(out.exports).toEqual(Object.keys(sdkSource).sort());
    expect(out.types).toEqual({ DeviceClient: 'function', Backoff: 'function', fetchSigningKey: 'function' });
    expect(out.state).toEqual({ temp: 20, firmware: { version: '1.0.0' } });
    expect(out.online).toBe(false);
    expect(out.topic).toBe('devices/cam-1/jobs/job-1/status');
  });

  it('gives an ES module its named exports', async () => {
    const script = `import { DeviceClient, parseJobDocument } from '@edgefleet/device-sdk'; console.log(typeof DeviceClient, typeof parseJobDocument);`;
    expect((await sh(process.execPath, ['--input-type=module', '-e', script], app)).trim()).toBe('function function');
  });

  it('ships typings that a strict TypeScript project resolves and checks against', async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, types: ['node'] },
        files: ['device.ts'],
      }),
    );
    await writeFile(
      join(app, 'device.ts'),
      `import { Backoff, DeviceClient, type DeviceHandlers, type JsonObject } from '@edgefleet/device-sdk';
import { type JobDocument, jobStatusTopic } from '@edgefleet/device-sdk/contracts';

const handlers: DeviceHandlers = {
  onDesired: ({ delta }) => delta,
  acceptJob: (_jobId: string, job: JobDocument) => (job.type === 'firmware' ? undefined : 'not taking config jobs'),
  install: async (image) => {
    const bytes: Buffer | undefined = image.data;
    console.log(image.artifact.version, bytes?.length);
  },
};
const client = new DeviceClient({ url: 'mqtt://127.0.0.1:1883', deviceId: 'cam-1', password: 'secret', firmwareVersion: '1.0.0', handlers });
client.on('job', (jobId, report) => console.log(jobStatusTopic(client.deviceId, jobId), report.status));
const state: JsonObject = client.state;
const started: Promise<void> = client.start();
const wait: number = new Backoff().next();
// @ts-expect-error deviceId is required: this line only type-checks if the typings were found
new DeviceClient({ url: 'mqtt://127.0.0.1:1883', password: 'secret' });
console.log(state, started, wait);
`,
    );
    await sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  });
});
