import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from '../cli-error';

export interface CliContext {
  server: string;
  token: string;
}

export interface CliConfig {
  current?: string;
  contexts: Record<string, CliContext>;
}

/** `$XDG_CONFIG_HOME/edgefleet`, else `~/.config/edgefleet`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'edgefleet');
}

/**
 * Named contexts (server URL and API token) in `config.json` of the user's config dir. The
 * file holds tokens, so it is written 0600 (in a 0700 folder), by a rename so a reader never
 * sees half of it.
 */
export class ContextStore {
  readonly file: string;

  constructor(env: NodeJS.ProcessEnv) {
    this.file = join(configDir(env), 'config.json');
  }

  load(): CliConfig {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
      throw new CliError(`cannot read ${this.file}: ${(error as Error).message}`);
    }
    try {
      const config = JSON.parse(text) as CliConfig;
      if (!config || typeof config.contexts !== 'object' || config.contexts === null) throw new Error('no "contexts" object');
      return config;
    } catch (error) {
      throw new CliError(`${this.file} is not a valid edgefleet config: ${(error as Error).message}`);
    }
  }

  save(config: CliConfig): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }
}
