#!/usr/bin/env node
// The `darkroom` command: one entry, subcommand groups wired by the modules beside this one.
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { registerCoordinatorCommands } from './coordinator.js';
import { registerAgentCommands } from './agent.js';
import { registerDemoCommand } from './demo.js';
import { registerEvidenceCommands } from './evidence.js';
import { registerMaintainerCommands } from './maintainer.js';
import { VERSION } from '../shared/version.js';

export function buildProgram(): Command {
  const program = new Command('darkroom')
    .description('Darkroom: trusted testers run embargoed patches on their own hardware before disclosure')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCoordinatorCommands(program);
  registerAgentCommands(program);
  registerDemoCommand(program);
  registerMaintainerCommands(program);
  registerEvidenceCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
