import { type Command, CommanderError, Option } from 'commander';
import { CliCommand } from './cli-command';
import { Cli } from './cli-context';
import { CliError } from './cli-error';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { OUTPUT_FORMATS } from './output/output';
import { registerApiKeyCommands } from './commands/api-keys.command';
import { registerArtifactCommands } from './commands/artifacts.command';
import { registerAuditCommand } from './commands/audit.command';
import { registerCompletionCommand } from './commands/completion.command';
import { registerContextCommands } from './commands/context.command';
import { registerDeviceCommands } from './commands/devices.command';
import { registerGroupCommands } from './commands/groups.command';
import { registerHealthCommand } from './commands/health.command';
import { registerRolloutCommands } from './commands/rollouts.command';
import { registerTwinCommands } from './commands/twin.command';
import { EXIT_CODES_HELP } from './help-text';
import { packageVersion } from './package-version';

/** The whole `edgefleet` command tree, writing to `io`. */
export function buildProgram(io: CliIo): { program: Command; cli: Cli } {
  const program = new CliCommand('edgefleet');
  program
    .description('Operate an EdgeFleet server: devices, groups, twins, artifacts, rollouts, API keys.')
    .addOption(new Option('--server <url>', 'server URL (default: $EDGEFLEET_SERVER, else the current context)'))
    .addOption(new Option('--token <token>', 'API token (default: $EDGEFLEET_TOKEN, else the current context)'))
    .addOption(new Option('--context <name>', 'use this saved context instead of the current one'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n'edgefleet --version' prints the version.\n\n${EXIT_CODES_HELP}`);
  program.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  program.exitOverride();
  const cli = new Cli(io, program);
  registerContextCommands(program, cli);
  registerHealthCommand(program, cli);
  registerDeviceCommands(program, cli);
  registerGroupCommands(program, cli);
  registerTwinCommands(program, cli);
  registerArtifactCommands(program, cli);
  registerRolloutCommands(program, cli);
  registerAuditCommand(program, cli);
  registerApiKeyCommands(program, cli);
  registerCompletionCommand(program, cli);
  return { program, cli };
}

const VERSION = packageVersion();

/** Runs one command line (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Not a commander option: the root's options are read anywhere in the line, and
  // `artifacts upload --version 2.1.0` must reach its command.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const { program, cli } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io, cli.serverInUse());
  }
}

function reportError(error: unknown, io: CliIo, server: string | undefined): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (error instanceof TypeError && cause) {
    io.stderr.write(`error: cannot reach the server${server ? ` at ${server}` : ''}: ${cause.code ?? cause.message}\n`);
    return EXIT.error;
  }
  io.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
  return EXIT.error;
}
