// `darkroom agent …`: the daemon on a tester's lab machine. `check` and `enroll` load their
// modules (the config parser, git through execa, the enrolment client) only when they run, and
// `agent run` reads its config in a child process, so that the long-running daemon holds none.
import type { Command } from 'commander';
import type { AgentCheck } from '../agent/check.js';
import { formatDuration } from '../agent/config/duration.js';
import { ConfigError } from '../agent/config/errors.js';
import type { AgentConfig, TreeSettings } from '../agent/config/index.js';
import { readAgentConfig } from '../agent/config/read.js';
import { declaredWorkloads } from '../agent/config/trees.js';
import { runDaemon } from '../agent/daemon.js';
import { gatherHardwareProfile } from '../agent/hardware/index.js';
import { createLogger } from '../shared/log.js';
import { problem, say, warn } from './output.js';

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
  agent
    .command('enroll')
    .description('make this agent\'s keys in its state directory and enrol with the coordinator using a one-time token')
    .requiredOption('--config <file>', 'the agent config (see examples/agent.yaml)')
    .requiredOption('--token <token>', 'the one-time enrolment token from the coordinator\'s operator')
    .option('--contact <contact>', 'the tester behind this agent, "Name <mail>" (for Tested-by)')
    .action(async (options: { config: string; token: string; contact?: string }) => {
      process.exitCode = await runEnroll(options);
    });
  agent
    .command('run')
    .description('run the agent: stay connected to the coordinator and run the jobs it offers (stop with SIGTERM or SIGINT)')
    .requiredOption('--config <file>', 'the agent config (see examples/agent.yaml)')
    .action(async (options: { config: string }) => {
      process.exitCode = await runAgent(options.config);
    });
}

/** Reads the config in this process (check and enroll end soon after). */
async function loadInProcess(path: string): Promise<AgentConfig> {
  const { loadAgentConfig } = await import('../agent/config/index.js');
  return loadAgentConfig(path);
}

/** The config, or null after printing one line per problem. */
async function loadOrReport(path: string, read: (path: string) => Promise<AgentConfig> = loadInProcess): Promise<AgentConfig | null> {
  try {
    return await read(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.problems) problem(line);
    return null;
  }
}

async function runEnroll(options: { config: string; token: string; contact?: string }): Promise<number> {
  const config = await loadOrReport(options.config);
  if (!config) return 1;
  const { enrollAgent } = await import('../agent/enroll.js');
  const logger = createLogger('agent-enroll');
  const profile = await gatherHardwareProfile({ logger });
  const { record, identityPath } = await enrollAgent(config, { token: options.token, ...(options.contact ? { contact: options.contact } : {}), profile, logger });
  say(`enrolled     as ${record.name}${record.groups.length ? ` (groups: ${record.groups.join(', ')})` : ''}`);
  say(`fingerprint  ${record.fingerprint}`);
  say(`key          ${identityPath}`);
  say(`coordinator  ${record.coordinatorUrl} (${record.coordinatorFingerprint})`);
  say();
  say(`Start the agent with \`darkroom agent run --config ${options.config}\` (or systemctl enable --now darkroom-agent).`);
  return 0;
}

/** Runs until SIGTERM or SIGINT; the first signal stops gracefully (jobs cancelled and wiped). */
async function runAgent(path: string): Promise<number> {
  const config = await loadOrReport(path, readAgentConfig);
  if (!config) return 1;
  const logger = createLogger('agent');
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    controller.abort(new Error(`received ${signal}`));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await runDaemon(config, { logger, signal: controller.signal });
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return 0;
}

async function runCheck(path: string): Promise<number> {
  const config = await loadOrReport(path);
  if (!config) return 1;
  const { checkAgent } = await import('../agent/check.js');
  const check = await checkAgent(config, { logger: createLogger('agent-check') });
  printCheck(config, check);
  for (const line of check.warnings) warn(line);
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
  say(`signers      ${config.trustedMaintainers.length === 0 ? 'none pinned: this agent runs no bundle' : `bundles signed by ${config.trustedMaintainers.length === 1 ? 'this maintainer' : `these ${config.trustedMaintainers.length} maintainers`} only (trusted_maintainers)`}`);
  for (const pinned of config.trustedMaintainers) say(`  ${pinned}`);
  say(`state dir    ${config.stateDir}: ${check.stateDir}`);
  say(`workspace    ${config.workspace.root}: ${check.workspace}`);
  say(`sandbox      ${check.sandbox}`);
  say(`hardware     ${profile.arch}, ${profile.cpuBrand || 'unknown CPU'}, ${profile.cpuCores} cores, ${(profile.memoryBytes / GIB).toFixed(1)} GiB, ${machine}, virtualization ${profile.virtualization}`);
  say(`class        ${check.hardwareClass} (${check.declaredClass ? 'declared' : 'derived'})`);
  say(`concurrency  ${config.concurrency}`);
  say('trees');
  for (const tree of check.trees) {
    const settings = config.trees.find((candidate) => candidate.name === tree.name)!;
    const state = tree.head ? `git ok at ${tree.head.slice(0, SHORT_COMMIT)}` : 'UNUSABLE';
    const build = settings.build ? `build ${formatDuration(settings.build.timeoutMs)}${settings.reuseBuildDir ? ' (build dir reused)' : ''}` : 'no build';
    say(`  ${tree.name}  ${tree.path}  ${state}  ${build}, ${describeBoot(settings)}, workloads: ${settings.workloads.map((w) => w.name).join(', ') || 'none'}`);
  }
  say('workloads');
  for (const workload of declaredWorkloads(config)) {
    const settings = config.trees.flatMap((tree) => tree.workloads).find((candidate) => candidate.name === workload.name)!;
    say(`  ${workload.name}  ${workload.format}  ${formatDuration(settings.timeoutMs)}${settings.inGuest ? '  in guest' : ''}  ${settings.command}`);
  }
}
