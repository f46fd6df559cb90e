import type { Command } from 'commander';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';
import { type Row, fieldColumns } from '../output/output';
import { type Page, printPages } from '../output/paged-list';
import { type DeviceFilterOptions, addDeviceFilterOptions, deviceCriteria, positiveInt } from './device-filters';

const GROUP_COLUMNS = [
  ...fieldColumns(['ID', 'id'], ['NAME', 'name'], ['DYNAMIC', 'dynamic']),
  { header: 'SELECTOR', value: (row: Row) => row.selector },
  ...fieldColumns(['CREATED', 'createdAt', true]),
];

export function registerGroupCommands(program: Command, cli: Cli): void {
  const groups = program.command('groups').alias('group').description('static groups, and dynamic ones by selector (members: devices list --group ID)');

  groups
    .command('list')
    .alias('ls')
    .description('list groups')
    .option('--limit <n>', 'page size, 1-1000', positiveInt('--limit'))
    .option('--cursor <cursor>', 'start at this page')
    .option('--all', 'follow cursors to the last page')
    .addHelpText('after', examples('edgefleet groups list', 'edgefleet groups list --all -o json'))
    .action(async (options: { limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      await printPages<Row>(cli, options, (query) => ok<Page<Row>>(api.GET('/api/v1/groups', { params: { query } }), 'list groups'), GROUP_COLUMNS);
    });

  groups
    .command('get <id>')
    .description('one group')
    .action(async (id: string) => {
      const group = await ok(cli.connection().api.GET('/api/v1/groups/{id}', { params: { path: { id } } }), `group ${id}`);
      cli.output().item(group, GROUP_COLUMNS);
    });

  addDeviceFilterOptions(
    groups
      .command('create <name>')
      .description('create a static group, or a dynamic one when any device filter is given (its selector)')
      .addHelpText('after', examples('edgefleet groups create lab-cams', 'edgefleet groups create sydney-cams --type cam --tag site:syd')),
  ).action(async (name: string, options: DeviceFilterOptions) => {
    const selector = deviceCriteria(options);
    const body = Object.keys(selector).length ? { name, selector } : { name };
    const group = await ok(cli.connection().api.POST('/api/v1/groups', { body }), `create group ${name}`);
    cli.output().item(group, GROUP_COLUMNS);
  });

  groups
    .command('delete <id>')
    .description('delete a group (its devices stay)')
    .action(async (id: string) => {
      await ok(cli.connection().api.DELETE('/api/v1/groups/{id}', { params: { path: { id } } }), `delete group ${id}`);
      cli.output().message(`deleted group ${id}`);
    });

  for (const [verb, method, description] of [
    ['add', 'PUT', 'add devices to a static group'],
    ['remove', 'DELETE', 'remove devices from a static group'],
  ] as const) {
    groups
      .command(`${verb} <id> <deviceIds...>`)
      .description(description)
      .addHelpText('after', examples(`edgefleet groups ${verb} GROUP_ID cam-0001 cam-0002`))
      .action(async (id: string, deviceIds: string[]) => {
        const { api } = cli.connection();
        for (const deviceId of deviceIds) {
          const params = { params: { path: { id, deviceId } } };
          await ok(method === 'PUT' ? api.PUT('/api/v1/groups/{id}/devices/{deviceId}', params) : api.DELETE('/api/v1/groups/{id}/devices/{deviceId}', params), `${verb} ${deviceId}`);
        }
        cli.output().message(`${verb === 'add' ? 'added' : 'removed'} ${deviceIds.length} device(s) ${verb === 'add' ? 'to' : 'from'} group ${id}`);
      });
  }
}
