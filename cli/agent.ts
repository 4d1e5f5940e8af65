// `darkroom agent …`: the daemon on a tester's lab machine.
import type { Command } from 'commander';

export function registerAgentCommands(program: Command): void {
  program.command('agent').description('enrol, check and run an agent on a lab machine');
}
