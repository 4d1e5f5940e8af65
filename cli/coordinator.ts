// `darkroom coordinator …`: the server and its administration.
import type { Command } from 'commander';
import { registerAdminCommands } from './coordinator-admin.js';
import { registerBackupCommands } from './coordinator-backup.js';
import { registerServeCommand } from './coordinator-serve.js';

export function registerCoordinatorCommands(program: Command): void {
  const coordinator = program.command('coordinator').description('run and administer the coordinator (server)');
  registerAdminCommands(coordinator);
  registerServeCommand(coordinator);
  registerBackupCommands(coordinator);
}
