import type { ApiClient } from '@edgefleet/api-client';
import { type FetchResult, ok } from '../api-result';
import type { Cli } from '../cli-context';
import type { CliCommand } from '../cli-command';
import { examples } from '../help-text';
import type { Column, Row } from '../output/output';
import { type Page, type PageOptions, printPages } from '../output/paged-list';

/** `<parent> list` (alias `ls`) of a resource with no filters but paging: one page, or --all. */
export function addListCommand(parent: CliCommand, cli: Cli, spec: { what: string; fetch: (api: ApiClient, query: { limit?: number; cursor?: string }) => Promise<FetchResult>; columns: Column<Row>[] }): void {
  parent
    .command('list')
    .alias('ls')
    .description(`list ${spec.what}`)
    .paged()
    .addHelpText('after', examples(`edgefleet ${parent.name()} list`, `edgefleet ${parent.name()} list --all -o json`))
    .action(async (options: PageOptions) => {
      const { api } = cli.connection();
      await printPages<Row>(cli, options, (query) => ok<Page<Row>>(spec.fetch(api, query), `list ${spec.what}`), spec.columns);
    });
}
