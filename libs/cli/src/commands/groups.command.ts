import type { CliCommand } from '../cli-command';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';
import { type Row, fieldColumns } from '../output/output';
import { addListCommand } from './list-command';
import { type DeviceFilterOptions, addDeviceFilterOptions, deviceCriteria } from './device-filters';

const GROUP_COLUMNS = [
  ...fieldColumns(['ID', 'id'], ['NAME', 'name'], ['DYNAMIC', 'dynamic']),
  { header: 'SELECTOR', value: (row: Row) => row.selector },
  ...fieldColumns(['CREATED', 'createdAt', true]),
];

export function registerGroupCommands(program: CliCommand, cli: Cli): void {
  const groups = program.command('groups').alias('group').description('static groups, and dynamic ones by selector (members: devices list --group ID)');

  addListCommand(groups, cli, { what: 'groups', fetch: (api, query) => api.GET('/api/v1/groups', { params: { query } }), columns: GROUP_COLUMNS });

  groups
    .command('get <id>')
    .description('one group')
    .addHelpText('after', examples('edgefleet groups get 9919b71b-…', 'edgefleet groups get 9919b71b-… -o json'))
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
    .addHelpText('after', examples('edgefleet groups delete 9919b71b-…'))
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
