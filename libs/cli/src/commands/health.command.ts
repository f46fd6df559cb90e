import type { CliCommand } from '../cli-command';
import type { Cli } from '../cli-context';
import { CliError } from '../cli-error';
import { examples } from '../help-text';

interface Health {
  status: string;
  [component: string]: unknown;
}

export function registerHealthCommand(program: CliCommand, cli: Cli): void {
  program
    .command('health')
    .description("the server's health (no token needed); exits 1 unless the status is ok")
    .addHelpText('after', examples('edgefleet health', 'edgefleet health -o json'))
    .action(async () => {
      const connection = cli.connectionWithoutToken();
      const response = await fetch(`${connection.server}/health`);
      const health = (await response.json()) as Health;
      const output = cli.output();
      if (output.machine) output.data(health);
      else
        output.item(health, [
          { header: 'status', value: (h) => h.status },
          ...Object.keys(health)
            .filter((key) => key !== 'status')
            .map((key) => ({ header: key, value: (h: Health) => h[key] })),
        ]);
      if (health.status !== 'ok') throw new CliError(`server health: ${health.status}`);
    });
}
