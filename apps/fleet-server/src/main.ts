import 'reflect-metadata';
import { ConfigError, loadConfig } from '@edgefleet/config';
import { DataDirLockedError } from '@edgefleet/database';
import { FleetServer } from '@edgefleet/server';
import { EXIT, exitCodeFor, oneLineCause } from './exit-codes';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`EdgeFleet: bad setting ${error.message}\n`);
    process.exit(EXIT.badSetting);
  }
  const server = new FleetServer(config);
  let stopping = false;
  const shutdown = async (signal: string, exitCode: number = EXIT.ok): Promise<void> => {
    if (stopping) return;
    stopping = true;
    server.logger.info(`${signal}: shutting down`);
    try {
      await server.stop();
      process.exit(exitCode);
    } catch (error) {
      server.logger.error(error as Error, 'shutdown failed');
      process.exit(EXIT.failed);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  server.failed.catch((error: Error) => {
    process.stderr.write(`EdgeFleet: ${oneLineCause(error)}\n`);
    void shutdown('database lost', EXIT.databaseLost);
  });
  // Diagnostics: started with --expose-gc, SIGUSR2 forces a full GC (bench:connect measures memory per connection this way).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) process.on('SIGUSR2', () => gc());
  try {
    const addresses = await server.start();
    process.stdout.write(`EDGEFLEET_READY ${JSON.stringify(addresses)}\n`);
  } catch (error) {
    if (stopping) return;
    stopping = true;
    await server.stop().catch(() => undefined);
    if (error instanceof ConfigError) process.stderr.write(`EdgeFleet: bad setting ${error.message}\n`);
    else if (error instanceof DataDirLockedError) process.stderr.write(`EdgeFleet: the data folder is in use: ${error.message}\n`);
    else server.logger.fatal({ err: error }, `start failed: ${oneLineCause(error)}`);
    process.exit(exitCodeFor(error));
  }
}

void main();
