import type { CliCommand } from '../cli-command';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { connectTo, normalizeServer } from '../config/connection';
import { ContextStore } from '../config/context-store';
import { examples } from '../help-text';

interface ContextRow {
  name: string;
  server: string;
  current: boolean;
}

export function registerContextCommands(program: CliCommand, cli: Cli): void {
  program
    .command('login')
    .description('check a server URL and API token, and save them as a context (the current one from now on)')
    .option('--name <name>', 'context name (default: the server host and port)')
    .addHelpText('after', examples('edgefleet login --server http://127.0.0.1:3000 --token efk_...', 'edgefleet login --server https://fleet.example.com --token "$TOKEN" --name prod'))
    .action(async (options: { name?: string }) => {
      const globals = cli.globals();
      const serverText = globals.server ?? cli.io.env.EDGEFLEET_SERVER;
      const token = globals.token ?? cli.io.env.EDGEFLEET_TOKEN;
      if (!serverText || !token) throw CliError.usage('login needs --server URL and --token TOKEN');
      const server = normalizeServer(serverText);
      const name = options.name ?? new URL(server).host;
      // Any role may list devices: this proves the token before it is saved.
      await ok(connectTo(server, token).api.GET('/api/v1/devices', { params: { query: { limit: 1 } } }), `login to ${server}`);
      const store = new ContextStore(cli.io.env);
      const config = store.load();
      config.contexts[name] = { server, token };
      config.current = name;
      store.save(config);
      cli.output().message(`logged in to ${server} as context '${name}' (saved in ${store.file})`);
    });

  const context = program.command('context').description('saved contexts (server and token)');
  context
    .command('list')
    .description('list saved contexts; the current one is marked')
    .addHelpText('after', examples('edgefleet context list', 'edgefleet context list -o json'))
    .action(() => {
      const config = new ContextStore(cli.io.env).load();
      const rows: ContextRow[] = Object.entries(config.contexts).map(([name, saved]) => ({ name, server: saved.server, current: name === config.current }));
      cli.output().list(rows, [
        { header: 'CURRENT', value: (row) => (row.current ? '*' : ' ') },
        { header: 'NAME', value: (row) => row.name },
        { header: 'SERVER', value: (row) => row.server },
      ]);
    });
  context
    .command('use <name>')
    .description('make a saved context the current one')
    .addHelpText('after', examples('edgefleet context use prod'))
    .action((name: string) => {
      const store = new ContextStore(cli.io.env);
      const config = store.load();
      if (!config.contexts[name]) throw new CliError(`no context named '${name}' (see: edgefleet context list)`, EXIT.notFound);
      config.current = name;
      store.save(config);
      cli.output().message(`current context: ${name} (${config.contexts[name].server})`);
    });
  context
    .command('delete <name>')
    .description('forget a saved context and its token')
    .addHelpText('after', examples('edgefleet context delete staging'))
    .action((name: string) => {
      const store = new ContextStore(cli.io.env);
      const config = store.load();
      if (!config.contexts[name]) throw new CliError(`no context named '${name}'`, EXIT.notFound);
      delete config.contexts[name];
      if (config.current === name) delete config.current;
      store.save(config);
      cli.output().message(`deleted context ${name}`);
    });
}
