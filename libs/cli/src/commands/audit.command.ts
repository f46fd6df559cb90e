import type { CliCommand } from '../cli-command';
import { ok } from '../api-result';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';
import { type Row, fieldColumns } from '../output/output';
import { type Page, printPages } from '../output/paged-list';

const AUDIT_COLUMNS = fieldColumns(['ID', 'id', true], ['AT', 'at'], ['ACTOR', 'actorName'], ['ACTION', 'action'], ['RESOURCE', 'resourceType'], ['RESOURCE ID', 'resourceId'], ['ACTOR ID', 'actorId', true]);

export function registerAuditCommand(program: CliCommand, cli: Cli): void {
  program
    .command('audit')
    .description('who changed what, when')
    .option('--action <action>', 'only this action, e.g. device.update')
    .option('--actor <apiKeyId>', 'only changes made by this API key id')
    .option('--resource-type <type>', 'only this kind of resource, e.g. device')
    .option('--resource-id <id>', 'only this resource')
    .paged()
    .addHelpText('after', examples('edgefleet audit --resource-type device --resource-id cam-0001', 'edgefleet audit --action rollout.create --all -o json'))
    .action(async (options: { action?: string; actor?: string; resourceType?: string; resourceId?: string; limit?: number; cursor?: string; all?: boolean }) => {
      const { api } = cli.connection();
      const filters = { action: options.action, actorId: options.actor, resourceType: options.resourceType, resourceId: options.resourceId };
      await printPages<Row>(cli, options, (page) => ok<Page<Row>>(api.GET('/api/v1/audit', { params: { query: { ...filters, ...page } } }), 'audit'), AUDIT_COLUMNS);
    });
}
