import { type Command, Option } from 'commander';
import { API_ROLES, type ApiRole } from '@edgefleet/contracts';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';
import { type Row, fieldColumns } from '../output/output';
import { type Page, printPages } from '../output/paged-list';
import { positiveInt } from './device-filters';

const KEY_COLUMNS = fieldColumns(['ID', 'id'], ['NAME', 'name'], ['ROLE', 'role'], ['PREFIX', 'prefix'], ['CREATED', 'createdAt'], ['LAST USED', 'lastUsedAt', true], ['REVOKED', 'revokedAt']);

export function registerApiKeyCommands(program: Command, cli: Cli): void {
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

  keys
    .command('list')
    .alias('ls')
    .description('list API keys (never their tokens)')
    .option('--limit <n>', 'page size, 1-1000', positiveInt('--limit'))
    .option('--cursor <cursor>', 'start at this page')
    .option('--all', 'follow cursors to the last page')
    .action(async (options: { limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      await printPages<Row>(cli, options, (query) => ok<Page<Row>>(api.GET('/api/v1/api-keys', { params: { query } }), 'list API keys'), KEY_COLUMNS);
    });

  keys
    .command('revoke <id>')
    .description('revoke an API key: it stops authenticating at once')
    .action(async (id: string) => {
      const key = await ok(cli.connection().api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } }), `revoke API key ${id}`);
      if (key) cli.output().item(key, KEY_COLUMNS);
      else cli.output().message(`revoked ${id}`);
    });
}
