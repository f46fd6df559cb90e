import type { Command } from 'commander';
import type { Cli } from '../cli-context';

export function registerApiKeyCommands(_program: Command, _cli: Cli): void {}
