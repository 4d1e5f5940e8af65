// `darkroom agent …`: the daemon on a tester's lab machine.
import type { Command } from 'commander';
import { checkAgent, type AgentCheck } from '../agent/check.js';
import { ConfigError, declaredWorkloads, formatDuration, loadAgentConfig, type AgentConfig, type TreeSettings } from '../agent/config/index.js';
import { createLogger } from '../shared/log.js';
import { problem, say } from './output.js';

const GIB = 2 ** 30;
const SHORT_COMMIT = 12;

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('enrol, check and run an agent on a lab machine');
  agent
    .command('check')
    .description('validate the config and show the hardware, trees and workloads this agent declares')
    .requiredOption('--config <file>', 'the agent config (see examples/agent.yaml)')
    .action(async (options: { config: string }) => {
      process.exitCode = await runCheck(options.config);
    });
}

async function runCheck(path: string): Promise<number> {
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.problems) problem(line);
    return 1;
  }
  const check = await checkAgent(config, { logger: createLogger('agent-check') });
  printCheck(config, check);
  for (const line of check.problems) problem(line);
  if (check.problems.length > 0) {
    say();
    say(`${check.problems.length === 1 ? 'One problem' : `${check.problems.length} problems`} to fix before this agent can run.`);
    return 1;
  }
  say();
  say('Ready: enrol with `darkroom agent enroll --config FILE --token TOKEN`, then start `darkroom agent run --config FILE`.');
  return 0;
}

function describeBoot(tree: TreeSettings): string {
  const boot = tree.boot;
  return boot.method === 'none' ? 'boot none' : `boot ${boot.method} ${formatDuration(boot.timeoutMs)}`;
}

function printCheck(config: AgentConfig, check: AgentCheck): void {
  const profile = check.profile;
  const machine = [profile.systemVendor, profile.systemModel].filter(Boolean).join(' ') || 'unknown system';
  say(`config       ${config.file}: valid`);
  say(`coordinator  ${config.coordinator.url} (${config.coordinator.fingerprint})`);
  say(`state dir    ${config.stateDir}: ${check.stateDir}`);
  say(`workspace    ${config.workspace.root}: ${check.workspace}`);
  say(`hardware     ${profile.arch}, ${profile.cpuBrand || 'unknown CPU'}, ${profile.cpuCores} cores, ${(profile.memoryBytes / GIB).toFixed(1)} GiB, ${machine}, virtualization ${profile.virtualization}`);
  say(`class        ${check.hardwareClass} (${check.declaredClass ? 'declared' : 'derived'})`);
  say(`concurrency  ${config.concurrency}`);
  say('trees');
  for (const tree of check.trees) {
    const settings = config.trees.find((candidate) => candidate.name === tree.name)!;
    const state = tree.head ? `git ok at ${tree.head.slice(0, SHORT_COMMIT)}` : 'UNUSABLE';
    const build = settings.build ? `build ${formatDuration(settings.build.timeoutMs)}` : 'no build';
    say(`  ${tree.name}  ${tree.path}  ${state}  ${build}, ${describeBoot(settings)}, workloads: ${settings.workloads.map((w) => w.name).join(', ') || 'none'}`);
  }
  say('workloads');
  for (const workload of declaredWorkloads(config)) {
    const settings = config.trees.flatMap((tree) => tree.workloads).find((candidate) => candidate.name === workload.name)!;
    say(`  ${workload.name}  ${workload.format}  ${formatDuration(settings.timeoutMs)}${settings.inGuest ? '  in guest' : ''}  ${settings.command}`);
  }
}
