import type { CliCommand } from '../cli-command';
import { parseTag } from '@edgefleet/contracts';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { examples } from '../help-text';
import { type Page, printPages } from '../output/paged-list';
import { type Device, DEVICE_COLUMNS, REGISTERED_COLUMNS, type RegisteredDevice } from './device-columns';
import { type DeviceFilterOptions, addDeviceFilterOptions, deviceCriteria, deviceListQuery } from './device-filters';
import { collect } from './option-parsers';
import { registerImportCommand } from './devices-import.command';

function tagsOf(list: string[] = []): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of list) {
    const tag = parseTag(entry);
    if (!tag) throw CliError.usage(`tag: '${entry}' is not key:value`);
    tags[tag.key] = tag.value;
  }
  return tags;
}

export function registerDeviceCommands(program: CliCommand, cli: Cli): void {
  const devices = program.command('devices').alias('device').description('the device registry');

  addDeviceFilterOptions(devices.command('list').alias('ls').description('list devices, filtered; one page unless --all'))
    .option('--group <id>', 'members of a static group, or devices matching a dynamic one')
    .paged()
    .addHelpText(
      'after',
      examples(
        'edgefleet devices list --type cam --status online',
        'edgefleet devices list --tag site:syd --tag floor:2 -o wide',
        'edgefleet devices list --reported firmware.version=2.1.0 --all -o json | jq length',
      ),
    )
    .action(async (options: DeviceFilterOptions & { group?: string; limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      const criteria = deviceCriteria(options);
      await printPages<Device>(
        cli,
        options,
        (page) =>
          ok<Page<Device>>(
            api.GET('/api/v1/devices', { params: { query: { ...criteria, group: options.group, ...page } }, querySerializer: deviceListQuery }),
            'list devices',
          ),
        DEVICE_COLUMNS,
      );
    });

  devices
    .command('get <id>')
    .description('one device')
    .addHelpText('after', examples('edgefleet devices get cam-0001', 'edgefleet devices get cam-0001 -o json'))
    .action(async (id: string) => {
      const device = await ok<Device>(cli.connection().api.GET('/api/v1/devices/{id}', { params: { path: { id } } }), `device ${id}`);
      cli.output().item(device, DEVICE_COLUMNS);
    });

  devices
    .command('register')
    .description('register one device; prints its MQTT password, which is shown only this once')
    .requiredOption('--type <type>', 'device type')
    .option('--id <id>', 'device id (default: generated)')
    .option('--name <name>', 'display name')
    .option('--tag <key:value>', 'tag; repeatable', collect)
    .addHelpText('after', examples('edgefleet devices register --type cam --id cam-0001 --tag site:syd', 'edgefleet devices register --type cam -o json | jq -r .credentials.password'))
    .action(async (options: { type: string; id?: string; name?: string; tag?: string[] }) => {
      const body = { type: options.type, id: options.id, name: options.name, tags: options.tag ? tagsOf(options.tag) : undefined };
      const device = await ok<RegisteredDevice>(cli.connection().api.POST('/api/v1/devices', { body }), 'register device');
      cli.output().item(device, REGISTERED_COLUMNS);
    });

  devices
    .command('tag <id> [tags...]')
    .description('add or change tags (key:value), or remove them (--remove key)')
    .option('--remove <key>', 'remove this tag key; repeatable', collect)
    .addHelpText('after', examples('edgefleet devices tag cam-0001 site:mel floor:3', 'edgefleet devices tag cam-0001 --remove floor'))
    .action(async (id: string, tags: string[], options: { remove?: string[] }) => {
      if (!tags.length && !options.remove?.length) throw CliError.usage('devices tag: give key:value tags to set, or --remove KEY');
      const { api } = cli.connection();
      const current = await ok<Device>(api.GET('/api/v1/devices/{id}', { params: { path: { id } } }), `device ${id}`);
      const next = { ...current.tags, ...tagsOf(tags) };
      for (const key of options.remove ?? []) delete next[key];
      const device = await ok<Device>(api.PATCH('/api/v1/devices/{id}', { params: { path: { id } }, body: { tags: next } }), `tag device ${id}`);
      cli.output().item(device, DEVICE_COLUMNS);
    });

  devices
    .command('decommission <id>')
    .description('remove a device: its credentials are revoked and a live session is closed at once')
    .addHelpText('after', examples('edgefleet devices decommission cam-0001'))
    .action(async (id: string) => {
      await ok(cli.connection().api.DELETE('/api/v1/devices/{id}', { params: { path: { id } } }), `decommission device ${id}`);
      cli.output().message(`decommissioned ${id}`);
    });

  devices
    .command('rotate-credentials <id>')
    .description('issue a new MQTT password (shown once); the old one stops working')
    .addHelpText('after', examples('edgefleet devices rotate-credentials cam-0001 -o json'))
    .action(async (id: string) => {
      const credentials = await ok<{ username: string; password: string }>(
        cli.connection().api.POST('/api/v1/devices/{id}/credentials/rotate', { params: { path: { id } } }),
        `rotate credentials of ${id}`,
      );
      cli.output().item(credentials, [
        { header: 'username', value: (c) => c.username },
        { header: 'password', value: (c) => c.password },
      ]);
    });

  registerImportCommand(devices, cli);
}
