import { Command } from 'commander';
import { positiveInt } from './commands/option-parsers';

/** commander's Command with what many of our commands share; subcommands are CliCommands too. */
export class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  /** `--limit`, `--cursor`, `--all`: the paging options of every list (read by printPages). */
  paged(): this {
    return this.option('--limit <n>', 'page size, 1-1000', positiveInt('--limit'))
      .option('--cursor <cursor>', 'start at this page (the nextCursor of the previous one)')
      .option('--all', 'follow cursors to the last page');
  }
}
