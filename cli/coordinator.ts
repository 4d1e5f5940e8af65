// `darkroom coordinator …`: the server and its administration.
import type { Command } from 'commander';

export function registerCoordinatorCommands(program: Command): void {
  program.command('coordinator').description('run and administer the coordinator (server)');
}
