/** A terminal stream as the CLI uses it (process.stdout / process.stderr, or a test's stand-in). */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where a command reads its environment and writes its output. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: NodeJS.ProcessEnv;
}

/** Colour only on a terminal, and never with NO_COLOR (no-color.org) or TERM=dumb. */
export function colourEnabled(stream: CliStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** The terminal's width; off a terminal $COLUMNS if set, else no limit. */
export function terminalWidth(stream: CliStream, env: NodeJS.ProcessEnv): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}
