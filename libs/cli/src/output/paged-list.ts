import type { Cli } from '../cli-context';
import type { Column } from './output';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** The largest page the API serves; `--all` asks for it to make the fewest requests. */
export const MAX_PAGE = 1000;

/**
 * Prints one page, or with `--all` every page by following `nextCursor`. `-o json` is always
 * one JSON array, written page by page so that 100,000 devices never sit in memory twice;
 * a page left unread is named on stderr as the `--cursor` that reads it.
 */
export async function printPages<T>(cli: Cli, options: PageOptions, fetchPage: (query: { limit?: number; cursor?: string }) => Promise<Page<T>>, columns: Column<T>[]): Promise<void> {
  const output = cli.output();
  const limit = options.limit ?? (options.all ? MAX_PAGE : undefined);
  if (!options.all) {
    const page = await fetchPage({ limit, cursor: options.cursor });
    output.list(page.items, columns);
    if (page.nextCursor) cli.note(`more: --cursor ${page.nextCursor} (or --all)`);
    return;
  }
  if (output.format === 'json') {
    const out = cli.io.stdout;
    let first = true;
    out.write('[');
    for await (const items of allPages(fetchPage, limit, options.cursor)) {
      if (!items.length) continue;
      out.write(`${first ? '\n' : ',\n'}${items.map((item) => JSON.stringify(item)).join(',\n')}`);
      first = false;
    }
    out.write(first ? ']\n' : '\n]\n');
    return;
  }
  const rows: T[] = [];
  for await (const items of allPages(fetchPage, limit, options.cursor)) rows.push(...items);
  output.list(rows, columns);
}

async function* allPages<T>(fetchPage: (query: { limit?: number; cursor?: string }) => Promise<Page<T>>, limit: number | undefined, cursor: string | undefined): AsyncGenerator<T[]> {
  // The next page is asked for before this one is printed: the server works while we write.
  let pending = fetchPage({ limit, cursor });
  for (;;) {
    const page = await pending;
    if (page.nextCursor) {
      pending = fetchPage({ limit, cursor: page.nextCursor });
      // Awaited at the next turn; until then a failure must not count as unhandled.
      pending.catch(() => undefined);
    }
    yield page.items;
    if (!page.nextCursor) return;
  }
}
