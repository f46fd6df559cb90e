import { ConfigError } from '@edgefleet/config';

/**
 * Turns bind failures into a ConfigError naming the setting (CONTRACT §1: one clear line):
 * `{prefix}_PORT`, and `hostSetting` (default `{prefix}_HOST`) for an address that cannot be bound.
 */
export async function listenOn<T>(prefix: string, host: string, port: number, listen: () => Promise<T>, hostSetting = `${prefix}_HOST`): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(`${prefix}_PORT`, `port ${port} on ${host} is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ConfigError(hostSetting, `cannot listen on '${host}'`);
    if (code === 'EACCES') throw new ConfigError(`${prefix}_PORT`, `no permission to listen on port ${port}`);
    throw error;
  }
}
