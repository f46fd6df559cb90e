import { rmSync } from 'node:fs';
import { scratchDir } from '../../support/scratch-dir';
import { ServerProcess } from '../../support/server-process';

/**
 * For a describe block that spawns real server processes on data folders of its own: each test's
 * servers are killed after it, and the folders removed after the block.
 */
export function spawnedServers(prefix: string): {
  dataDir: () => string;
  spawn: (env: Record<string, string>) => ServerProcess;
  killAll: () => Promise<void>;
} {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const killAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((server) => server.stop('SIGKILL')));
  };
  afterEach(killAll);
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  return {
    dataDir: () => {
      const dir = scratchDir(prefix);
      dirs.push(dir);
      return dir;
    },
    spawn: (env) => {
      const server = ServerProcess.spawn(env);
      servers.push(server);
      return server;
    },
    killAll,
  };
}
