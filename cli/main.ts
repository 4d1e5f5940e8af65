#!/usr/bin/env node
// The `darkroom` command: one entry, subcommand groups wired by the modules beside this one.
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { VERSION } from '../shared/version.js';

type Register = (program: Command) => void;

/**
 * The command groups by the word that starts their commands, each loaded only when its commands
 * may run: `darkroom agent run` never loads the coordinator's SQLite or the maintainer's client,
 * which keeps a long-running daemon small. The maintainer's commands sit at the top level.
 */
const GROUPS: Record<string, () => Promise<Register>> = {
  coordinator: async () => (await import('./coordinator.js')).registerCoordinatorCommands,
  agent: async () => (await import('./agent.js')).registerAgentCommands,
  demo: async () => (await import('./demo.js')).registerDemoCommand,
  dashboard: async () => (await import('./dashboard.js')).registerDashboardCommand,
};
const TOP_LEVEL: Array<() => Promise<Register>> = [
  async () => (await import('./maintainer.js')).registerMaintainerCommands,
  async () => (await import('./evidence.js')).registerEvidenceCommands,
];

/** What to register for `argv` (node, script, args…): the group its first word names, or all. */
function groupsFor(argv: readonly string[]): Array<() => Promise<Register>> {
  const first = argv[2];
  if (first && Object.hasOwn(GROUPS, first)) return [GROUPS[first]!];
  return [...Object.values(GROUPS), ...TOP_LEVEL];
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('darkroom')
    .description('Darkroom: trusted testers run embargoed patches on their own hardware before disclosure')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const load of groupsFor(argv)) (await load())(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
