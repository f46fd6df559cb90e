import { createRequire } from 'node:module';

type Logger = ((...args: unknown[]) => void) & { enabled: boolean };
type CreateDebug = ((namespace: string) => Logger) & Record<string, unknown>;

const silent: Logger = Object.assign(() => undefined, { enabled: false });

/**
 * mqtt-packet's parser calls its `debug` logger about ten times per packet, and the debug
 * package's logger takes its arguments as rest parameters, so every call builds an array
 * even when logging is off: 12 % of what the server allocated per report in bench:ingest
 * (issue #3). Loggers for the mqtt-packet namespaces that DEBUG does not enable at startup
 * are made no-ops; every other namespace gets the debug package's own logger. Must run
 * before aedes loads mqtt-packet (the broker lib imports this first); if it loaded earlier,
 * this changes nothing.
 */
function quietPacketDebug(): void {
  const fromPacket = createRequire(require.resolve('mqtt-packet'));
  const path = fromPacket.resolve('debug');
  fromPacket('debug');
  const cached = require.cache[path];
  if (!cached) return;
  const createDebug = cached.exports as CreateDebug;
  const quiet = Object.assign((namespace: string) => {
    const logger = createDebug(namespace);
    return namespace.startsWith('mqtt-packet') && !logger.enabled ? silent : logger;
  }, createDebug);
  cached.exports = quiet;
}

quietPacketDebug();
