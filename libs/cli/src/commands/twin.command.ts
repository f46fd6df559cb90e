import type { CliCommand } from '../cli-command';
import type { components } from '@edgefleet/api-client';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { examples } from '../help-text';
import type { Column } from '../output/output';
import { type JsonObject, mergePatchBetween, stateFromArgs } from './state-input';

type Twin = components['schemas']['TwinDto'];

const TWIN_COLUMNS: Column<Twin>[] = [
  { header: 'desiredVersion', value: (t) => t.desiredVersion },
  { header: 'reportedVersion', value: (t) => t.reportedVersion },
  { header: 'desired', value: (t) => t.desired },
  { header: 'reported', value: (t) => t.reported },
  { header: 'delta', value: (t) => t.delta },
];

const STATE_HELP = `
Values: path=value (dotted path; the value read as JSON when it parses, else as text), or a
JSON object, or -f FILE (JSON or YAML). In a patch, null removes a key (JSON merge patch).`;

export function registerTwinCommands(program: CliCommand, cli: Cli): void {
  const twin = program.command('twin').description("a device's twin: desired and reported state");

  twin
    .command('get <deviceId>')
    .description('desired, reported, delta and their versions')
    .addHelpText('after', examples('edgefleet twin get cam-0001', 'edgefleet twin get cam-0001 -o json | jq .delta'))
    .action(async (id: string) => {
      const state = await ok<Twin>(cli.connection().api.GET('/api/v1/devices/{id}/twin', { params: { path: { id } } }), `twin of ${id}`);
      const output = cli.output();
      if (output.format === 'table') output.item(state, TWIN_COLUMNS);
      else output.data(state);
    });

  const desired = twin.command('desired').description('change desired state');
  desired
    .command('patch <deviceId> [values...]')
    .description('merge a JSON merge patch into desired state')
    .option('-f, --file <file>', 'the patch from a JSON or YAML file (- for stdin)')
    .option('--if-match <version>', 'only if desiredVersion is still this (exit 4 otherwise)')
    .addHelpText('after', `${STATE_HELP}\n${examples('edgefleet twin desired patch cam-0001 telemetry.intervalSeconds=30', 'edgefleet twin desired patch cam-0001 \'{"led":null}\' --if-match 7')}`)
    .action(async (id: string, values: string[], options: { file?: string; ifMatch?: string }) => {
      const patch = stateFromArgs(values, options.file);
      if (!Object.keys(patch).length) throw CliError.usage('twin desired patch: nothing to change (give path=value, a JSON object or -f FILE)');
      cli.output().item(await patchDesired(cli, id, patch, options.ifMatch), TWIN_COLUMNS);
    });
  desired
    .command('set <deviceId> [values...]')
    .description('replace desired state with exactly this (keys not given are removed)')
    .option('-f, --file <file>', 'the state from a JSON or YAML file (- for stdin)')
    .option('--if-match <version>', 'only if desiredVersion is still this (default: the version just read, so no change made meanwhile is lost)')
    .addHelpText('after', `${STATE_HELP}\n${examples('edgefleet twin desired set cam-0001 -f desired.yaml', 'edgefleet twin desired set cam-0001 mode=eco led=false')}`)
    .action(async (id: string, values: string[], options: { file?: string; ifMatch?: string }) => {
      const next = stateFromArgs(values, options.file);
      const current = await ok<Twin>(cli.connection().api.GET('/api/v1/devices/{id}/twin', { params: { path: { id } } }), `twin of ${id}`);
      const patch = mergePatchBetween(current.desired as JsonObject, next);
      cli.output().item(await patchDesired(cli, id, patch, options.ifMatch ?? String(current.desiredVersion)), TWIN_COLUMNS);
    });
}

async function patchDesired(cli: Cli, id: string, patch: JsonObject, ifMatch: string | undefined): Promise<Twin> {
  return ok<Twin>(
    cli.connection().api.PATCH('/api/v1/devices/{id}/twin/desired', {
      params: { path: { id }, header: ifMatch === undefined ? undefined : { 'If-Match': ifMatch } },
      body: patch,
      headers: { 'content-type': 'application/merge-patch+json' },
    }),
    `desired state of ${id}`,
  );
}
