import 'reflect-metadata';
import { ConfigError, loadConfig } from '@edgefleet/config';
import { FleetServer } from '@edgefleet/server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`EdgeFleet: bad setting ${error.message}\n`);
    process.exit(2);
  }
  const server = new FleetServer(config);
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    server.logger.info(`${signal}: shutting down`);
    try {
      await server.stop();
      process.exit(0);
    } catch (error) {
      server.logger.error(error as Error, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Diagnostics: started with --expose-gc, SIGUSR2 forces a full GC (bench:connect measures memory per connection this way).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) process.on('SIGUSR2', () => gc());
  try {
    const addresses = await server.start();
    process.stdout.write(`EDGEFLEET_READY ${JSON.stringify(addresses)}\n`);
  } catch (error) {
    await server.stop().catch(() => undefined);
    if (error instanceof ConfigError) process.stderr.write(`EdgeFleet: bad setting ${error.message}\n`);
    else server.logger.fatal(error as Error, 'start failed');
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}

void main();
