import type { Command } from 'commander';
import type { CliIo } from './cli-io';
import { type Connection, type GlobalOptions, resolveConnection } from './config/connection';
import { Output, parseOutputFormat } from './output/output';

/** What a command's action needs: its streams, the global options, the server, the output. */
export class Cli {
  private connected?: Connection;
  private serverOnly?: Connection;

  constructor(
    readonly io: CliIo,
    private readonly program: Command,
  ) {}

  globals(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  connection(): Connection {
    return (this.connected ??= resolveConnection(this.globals(), this.io.env));
  }

  /** The server alone, for the routes that need no token. */
  connectionWithoutToken(): Connection {
    return (this.serverOnly ??= this.connected ?? resolveConnection(this.globals(), this.io.env, false));
  }

  /** The server this run talked to, if it got that far (for error messages). */
  serverInUse(): string | undefined {
    return (this.connected ?? this.serverOnly)?.server;
  }

  output(): Output {
    return new Output(this.io, parseOutputFormat(this.globals().output));
  }

  /** A note for people on stderr (progress, hints); stdout stays the result alone. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
