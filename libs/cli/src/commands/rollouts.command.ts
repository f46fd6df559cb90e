import { Option } from 'commander';
import type { CliCommand } from '../cli-command';
import type { components } from '@edgefleet/api-client';
import { DEVICE_JOB_STATUSES, ROLLOUT_STATES, type RolloutState } from '@edgefleet/contracts';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { examples } from '../help-text';
import { fieldColumns } from '../output/output';
import { type Page, printPages } from '../output/paged-list';
import { positiveInt } from './option-parsers';
import { ROLLOUT_COLUMNS, type Rollout } from './rollout-columns';
import { watchRollout } from './rollout-watch';
import { readDocument } from './state-input';

type CreateRollout = components['schemas']['CreateRolloutDto'];
type Preview = components['schemas']['RolloutPreviewDto'];
type Job = components['schemas']['RolloutJobDto'];

const JOB_COLUMNS = fieldColumns(['DEVICE', 'deviceId'], ['WAVE', 'wave'], ['STATUS', 'status'], ['ATTEMPTS', 'attempts'], ['PROGRESS', 'progress'], ['LAST ERROR', 'lastError'], ['JOB', 'jobId', true], ['UPDATED', 'updatedAt', true]);

function definition(file: string | undefined): CreateRollout {
  if (!file) throw CliError.usage('give the rollout with -f FILE (YAML or JSON; - for stdin)');
  const body = readDocument(file);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw CliError.usage(`${file}: must hold a rollout object`);
  return body as CreateRollout;
}

/** The exit code of a finished rollout: 0 only for completed. */
function finished(cli: Cli, rollout: Rollout): void {
  cli.output().item(rollout, ROLLOUT_COLUMNS);
  if (rollout.state !== 'completed') throw new CliError(`rollout ${rollout.id} ended ${rollout.state}${rollout.reason ? `: ${rollout.reason}` : ''}`, EXIT.rolloutNotCompleted);
}

const ROLLOUT_FILE_HELP = `
The file is the API's rollout body, e.g.:
  name: fw 2.1 to cameras
  type: firmware            # or config, with config: {...}
  artifactId: 6f1c...
  target: { selector: { type: cam, tag: [site:syd] } }
  strategy: { waves: [1, 10, 50, 100], maxInFlight: 500, failureThreshold: { percent: 5, minSamples: 20 } }`;

export function registerRolloutCommands(program: CliCommand, cli: Cli): void {
  const rollouts = program.command('rollouts').alias('rollout').description('firmware and config rollouts in waves');

  rollouts
    .command('create')
    .description('create a rollout from a YAML or JSON file')
    .option('-f, --file <file>', 'the rollout (YAML or JSON; - for stdin)')
    .option('--watch', 'then watch it until it ends (exit code as rollouts watch)')
    .option('--timeout <seconds>', 'with --watch: give up (exit 1) after this long', positiveInt('--timeout'))
    .addHelpText('after', `${ROLLOUT_FILE_HELP}\n${examples('edgefleet rollouts create -f rollout.yaml', 'edgefleet rollouts create -f rollout.json --watch')}`)
    .action(async (options: { file?: string; watch?: boolean; timeout?: number }) => {
      const body = definition(options.file);
      const rollout = await ok<Rollout>(cli.connection().api.POST('/api/v1/rollouts', { body }), 'create rollout');
      if (!options.watch) return cli.output().item(rollout, ROLLOUT_COLUMNS);
      finished(cli, await watchRollout(cli, rollout.id, options.timeout));
    });

  rollouts
    .command('preview')
    .description('which devices a rollout would reach, wave by wave, without creating it')
    .option('-f, --file <file>', 'the rollout (YAML or JSON; - for stdin)')
    .addHelpText('after', examples('edgefleet rollouts preview -f rollout.yaml'))
    .action(async (options: { file?: string }) => {
      const preview = await ok<Preview>(cli.connection().api.POST('/api/v1/rollouts/preview', { body: definition(options.file) }), 'preview rollout');
      const output = cli.output();
      if (output.machine) return output.data(preview);
      output.list(preview.waves, [
        { header: 'WAVE', value: (w) => w.wave + 1 },
        { header: 'PERCENT', value: (w) => `${w.percent}%` },
        { header: 'DEVICES', value: (w) => w.count },
        { header: 'FIRST DEVICES', value: (w) => w.deviceIds.slice(0, 5).join(',') + (w.deviceIds.length > 5 ? ',…' : '') },
      ]);
      output.message(`${preview.targetCount} target devices${preview.mismatched.length ? `; ${preview.mismatched.length} of a type the artifact is not for (left out)` : ''}`);
    });

  rollouts
    .command('list')
    .alias('ls')
    .description('list rollouts')
    .addOption(new Option('--state <state>', 'only rollouts in this state').choices(ROLLOUT_STATES))
    .paged()
    .addHelpText('after', examples('edgefleet rollouts list --state running', 'edgefleet rollouts list --all -o json'))
    .action(async (options: { state?: RolloutState; limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      await printPages<Rollout>(cli, options, (page) => ok<Page<Rollout>>(api.GET('/api/v1/rollouts', { params: { query: { state: options.state, ...page } } }), 'list rollouts'), ROLLOUT_COLUMNS);
    });

  rollouts
    .command('get <id>')
    .description('state and counts, per wave')
    .addHelpText('after', examples('edgefleet rollouts get 3f2a…', 'edgefleet rollouts get 3f2a… -o json | jq .counts'))
    .action(async (id: string) => {
      const rollout = await ok<Rollout>(cli.connection().api.GET('/api/v1/rollouts/{id}', { params: { path: { id } } }), `rollout ${id}`);
      const output = cli.output();
      output.item(rollout, ROLLOUT_COLUMNS);
      if (!output.machine)
        output.list(rollout.waves, [
          { header: 'WAVE', value: (w) => w.wave + 1 },
          { header: 'PERCENT', value: (w) => `${w.percent}%` },
          { header: 'DEVICES', value: (w) => w.total },
          ...(['succeeded', 'failed', 'timed_out', 'pending_offline'] as const).map((status) => ({ header: status.toUpperCase(), value: (w: (typeof rollout.waves)[number]) => w.counts[status] })),
        ]);
    });

  rollouts
    .command('devices <id>')
    .description('per-device job status of a rollout')
    .addHelpText('after', examples('edgefleet rollouts devices 3f2a… --status failed', 'edgefleet rollouts devices 3f2a… --wave 1 --all -o json'))
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(DEVICE_JOB_STATUSES))
    .option('--wave <n>', 'only this wave (from 1)', positiveInt('--wave'))
    .paged()
    .action(async (id: string, options: { status?: Job['status']; wave?: number; limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      const filters = { status: options.status, wave: options.wave === undefined ? undefined : options.wave - 1 };
      await printPages(cli, options, (page) => ok<Page<Record<string, unknown>>>(api.GET('/api/v1/rollouts/{id}/devices', { params: { path: { id }, query: { ...filters, ...page } } }), `rollout ${id} devices`), JOB_COLUMNS);
    });

  rollouts
    .command('watch <id>')
    .description('live per-wave progress until the rollout ends; exit 0 when it completed, 6 when it ended otherwise')
    .option('--timeout <seconds>', 'give up (exit 1) after this long', positiveInt('--timeout'))
    .addHelpText('after', examples('edgefleet rollouts watch 3f2a…', 'edgefleet rollouts watch 3f2a… --timeout 3600 -o json'))
    .action(async (id: string, options: { timeout?: number }) => {
      finished(cli, await watchRollout(cli, id, options.timeout));
    });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    rollouts
      .command(`${action} <id>`)
      .description(`${action} a rollout`)
      .addHelpText('after', examples(`edgefleet rollouts ${action} 3f2a…`))
      .action(async (id: string) => {
        const rollout = await ok<Rollout>(cli.connection().api.POST(`/api/v1/rollouts/{id}/${action}`, { params: { path: { id } } }), `${action} rollout ${id}`);
        cli.output().item(rollout, ROLLOUT_COLUMNS);
      });
  }
}
