import { Argument, type Command } from 'commander';
import type { CliCommand } from '../cli-command';
import type { Cli } from '../cli-context';
import { examples } from '../help-text';

/** Every command path (`devices list`) with its subcommands and options, from the command tree itself. */
function commandTable(command: Command, path: string[] = []): Array<{ path: string; commands: string[]; options: string[] }> {
  const children = command.commands.filter((child) => child.name() !== 'help');
  const commands = children.flatMap((child) => [child.name(), ...child.aliases()]);
  const options = [...command.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => Boolean(flag))), '--help'];
  const rows = [{ path: path.join(' '), commands, options }];
  for (const child of children) for (const name of [child.name(), ...child.aliases()]) rows.push(...commandTable(child, [...path, name]));
  return rows;
}

function bashScript(program: CliCommand): string {
  const cases = commandTable(program)
    .map(({ path, commands, options }) => `    "${path}") commands="${commands.join(' ')}"; options="${options.join(' ')}" ;;`)
    .join('\n');
  return `# edgefleet bash completion: source <(edgefleet completion bash)
_edgefleet() {
  local cur path="" i word commands options
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    _edgefleet_words "\${path:+$path }$word" && path="\${path:+$path }$word"
  done
  _edgefleet_words "$path"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$options --server --token --context --output" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  fi
}
_edgefleet_words() {
  commands=""; options=""
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
complete -o default -F _edgefleet edgefleet
`;
}

function zshScript(program: CliCommand): string {
  return `#compdef edgefleet
# edgefleet zsh completion: source <(edgefleet completion zsh), or save as _edgefleet in $fpath
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

export function registerCompletionCommand(program: CliCommand, cli: Cli): void {
  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText('after', examples('edgefleet completion bash > ~/.local/share/bash-completion/completions/edgefleet', 'edgefleet completion zsh > "${fpath[1]}/_edgefleet"', 'source <(edgefleet completion bash)'))
    .action((shell: 'bash' | 'zsh') => {
      cli.io.stdout.write(shell === 'bash' ? bashScript(program) : zshScript(program));
    });
}
