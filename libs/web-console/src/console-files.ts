import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the built console is (`dist/console`, written by `npm run build`): beside the compiled
 * server when it runs from dist, or under the repository's dist when it runs from source (tests).
 */
export function consoleDirectory(): string | null {
  const candidates = [path.resolve(__dirname, '../../../console'), path.resolve(__dirname, '../../../dist/console')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? null;
}
