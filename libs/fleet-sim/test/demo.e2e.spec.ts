import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Demo } from '@edgefleet/fleet-sim';

const SERVER_MAIN = join(__dirname, '..', '..', '..', 'dist', 'apps', 'fleet-server', 'src', 'main.js');

/** `npm run demo` end to end, with a small fleet: the real server process, embedded Postgres, a real rollout. */
describe('demo', () => {
  it('starts the server, runs a three-wave rollout on a simulated fleet to completion, says where to look, and cleans up', async () => {
    const lines: string[] = [];
    const progress: string[] = [];
    const demo = new Demo(
      { devices: 30, exitWhenDone: true, serverMain: SERVER_MAIN, env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' } },
      { log: (line) => lines.push(line), progress: (line) => progress.push(line) },
    );
    let dataDir = '';
    try {
      const result = await demo.run(new AbortController().signal);
      dataDir = result.dataDir;
      expect(result.rollout.state).toBe('completed');
      expect(result.rollout.counts).toMatchObject({ succeeded: 30 });
      expect(result.rollout.waves!.map((wave) => wave.total)).toEqual([3, 12, 15]);
      expect(progress.some((line) => line.startsWith('wave 1/3 ['))).toBe(true);
      expect(progress.at(-1)).toMatch(/^wave 3\/3 \[█+\] 100% {2}30\/30 succeeded/);

      const report = demo.report(result, false);
      expect(report).toContain(`API docs (OpenAPI)  ${result.addresses.http}/docs`);
      expect(report).toContain(`Metrics             ${result.addresses.http}/metrics`);
      expect(report).toContain('simulated devices now running firmware 2.0.0: 30');
      const docs = await fetch(`${result.addresses.http}/docs-json`);
      expect(docs.status).toBe(200);
      const metrics = await fetch(`${result.addresses.http}/metrics`);
      expect(await metrics.text()).toContain('# TYPE');
    } finally {
      await demo.stop();
    }
    expect(lines.filter((line) => /exited with/.test(line))).toEqual([]);
    expect(dataDir).not.toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});
