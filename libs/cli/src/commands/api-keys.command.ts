import { Option } from 'commander';
import type { CliCommand } from '../cli-command';
import { API_ROLES, type ApiRole } from '@edgefleet/contracts';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';
import { fieldColumns } from '../output/output';
import { addListCommand } from './list-command';

const KEY_COLUMNS = fieldColumns(['ID', 'id'], ['NAME', 'name'], ['ROLE', 'role'], ['PREFIX', 'prefix'], ['CREATED', 'createdAt'], ['LAST USED', 'lastUsedAt', true], ['REVOKED', 'revokedAt']);

export function registerApiKeyCommands(program: CliCommand, cli: Cli): void {
  const keys = program.command('api-keys').alias('api-key').description('API tokens (admin role)');

  keys
    .command('create <name>')
    .description('create an API token; it is printed once and never shown again')
    .addOption(new Option('--role <role>', 'what the token may do').choices(API_ROLES).makeOptionMandatory())
    .addHelpText('after', examples('edgefleet api-keys create ci-pipeline --role operator', 'edgefleet api-keys create dashboards --role viewer -o json | jq -r .token'))
    .action(async (name: string, options: { role: ApiRole }) => {
      const key = await ok(cli.connection().api.POST('/api/v1/api-keys', { body: { name, role: options.role } }), 'create API key');
      cli.output().item(key, [...KEY_COLUMNS.slice(0, 4), ...fieldColumns(['TOKEN', 'token'])]);
    });

  addListCommand(keys, cli, { what: 'API keys (never their tokens)', fetch: (api, query) => api.GET('/api/v1/api-keys', { params: { query } }), columns: KEY_COLUMNS });

  keys
    .command('revoke <id>')
    .description('revoke an API key: it stops authenticating at once')
    .addHelpText('after', examples('edgefleet api-keys revoke 51b13fb3-…'))
    .action(async (id: string) => {
      const key = await ok(cli.connection().api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } }), `revoke API key ${id}`);
      if (key) cli.output().item(key, KEY_COLUMNS);
      else cli.output().message(`revoked ${id}`);
    });
}
