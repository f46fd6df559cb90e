import { join } from 'node:path';
import { DEMO_USAGE, Demo, type DemoOptions, parseDemoArgs } from '@edgefleet/fleet-sim';

const interactive = Boolean(process.stdout.isTTY);
let progressShown = false;
let lastPlainProgress = 0;
const output = {
  log(line: string) {
    if (progressShown) process.stdout.write('\n');
    progressShown = false;
    process.stdout.write(`${line}\n`);
  },
  progress(line: string, done = false) {
    if (interactive) {
      process.stdout.write(`\r\x1b[2K${line}${done ? '\n' : ''}`);
      progressShown = !done;
    } else if (done || Date.now() - lastPlainProgress >= 2_000) {
      lastPlainProgress = Date.now();
      process.stdout.write(`${line}\n`);
    }
  },
};

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2), interactive);
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${DEMO_USAGE}`);
    process.exit(2);
  }
  const demo = new Demo({ ...options, serverMain: join(__dirname, '..', '..', 'fleet-server', 'src', 'main.js'), env: process.env }, output);
  const interrupted = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) return process.exit(130);
    output.log(`${signal}: stopping the fleet and the server (again to force)`);
    interrupted.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode = 0;
  try {
    const result = await demo.run(interrupted.signal);
    output.log(`\n${demo.report(result, !options.exitWhenDone)}`);
    if (result.rollout.state !== 'completed') exitCode = 1;
    if (!options.exitWhenDone && !interrupted.signal.aborted) {
      output.log('\nThe server and the fleet keep running so you can look around. Press Ctrl-C to stop.');
      await new Promise((resolve) => interrupted.signal.addEventListener('abort', resolve, { once: true }));
    }
  } catch (error) {
    if (!interrupted.signal.aborted) {
      output.log(`demo failed: ${(error as Error).message}`);
      exitCode = 1;
    }
  } finally {
    await demo.stop();
  }
  output.log('stopped cleanly');
  process.exit(exitCode);
}

void main();
