import type { Command } from 'commander';
import { buildProgram } from '../src/program';

function leaves(command: Command, path: string[] = []): Array<{ path: string; command: Command }> {
  const children = command.commands.filter((child) => child.name() !== 'help');
  if (!children.length) return [{ path: path.join(' '), command }];
  return children.flatMap((child) => leaves(child, [...path, child.name()]));
}

describe('edgefleet --help', () => {
  const output: string[] = [];
  const { program } = buildProgram({ stdout: { write: (text: string) => output.push(text) }, stderr: { write: () => true }, env: {} });

  it('gives every command a description and examples', () => {
    const missing = leaves(program)
      .filter(({ command }) => !command.description() || !captureHelp(command).includes('Examples:\n  $ edgefleet '))
      .map(({ path }) => path);
    expect(missing).toEqual([]);
  });

  function captureHelp(command: Command): string {
    let text = '';
    command.configureOutput({ writeOut: (chunk) => (text += chunk) });
    command.outputHelp();
    return text;
  }
});
