import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'edgefleet.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run still going: its output so far, and its end. */
export interface RunningCli {
  output(): CliRun;
  done: Promise<CliRun>;
}

/**
 * The `edgefleet` bin run as an operator runs it: a child process of `node bin/edgefleet.js`,
 * its own config dir (HOME and XDG_CONFIG_HOME), stdout and stderr piped (not a terminal).
 */
export class CliRunner {
  constructor(private readonly env: Record<string, string>) {}

  start(args: string[], env: Record<string, string> = {}): RunningCli {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: CliRun = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk) => (run.stdout += chunk));
    child.stderr.on('data', (chunk) => (run.stderr += chunk));
    const done = new Promise<CliRun>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ ...run, code }));
    });
    return { output: () => run, done };
  }

  run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return this.start(args, env).done;
  }

  /** Runs and expects exit 0; returns stdout parsed as JSON. */
  async json<T = any>(args: string[], env: Record<string, string> = {}): Promise<T> {
    const run = await this.run([...args, '-o', 'json'], env);
    if (run.code !== 0) throw new Error(`edgefleet ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }
}
