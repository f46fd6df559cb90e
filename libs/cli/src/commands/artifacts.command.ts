import type { Command } from 'commander';
import type { Cli } from '../cli-context';

export function registerArtifactCommands(_program: Command, _cli: Cli): void {}
