// `darkroom agent run`: the long-running agent. Loads its config, keys and enrolment, recovers what
// a crash or reboot left, then stays connected to its coordinator and runs the jobs it is offered.
import { join } from 'node:path';
import { fingerprint, readIdentity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import type { Channel } from '../transport/channel.js';
import type { darkroom } from '../proto/darkroom.js';
import type { Backoff } from './backoff.js';
import { ChannelLink } from './channel-link.js';
import { ConfigError } from './config/errors.js';
import type { AgentConfig } from './config/index.js';
import { runConnectionLoop } from './connection-loop.js';
import { buildDeclaration } from './declaration.js';
import { EnrolmentError, readEnrolment } from './enrolment-record.js';
import { gatherHardwareProfile, profileToProto, resolveHardwareClass, type HardwareProfile } from './hardware/index.js';
import { JobProcesses } from './job-processes.js';
import { JobRunner } from './job-runner.js';
import { JobStates } from './job-state.js';
import { Outbox } from './outbox.js';
import { probeSandbox, SandboxError, UNSAFE_NO_SANDBOX } from './sandbox/probe.js';
import { runSession } from './session.js';
import { noTrustedMaintainers } from './trusted-signer.js';
import { Workspaces } from './workspace.js';

/** The outbox of signed results not yet acknowledged, below the state directory. */
export const OUTBOX_DIR_NAME = 'outbox';
/** Why running jobs are cancelled when the daemon is told to stop. */
export const STOP_REASON = 'the agent is stopping';

export interface DaemonOptions {
  logger: Logger;
  /** Aborting it stops the daemon: running jobs are cancelled and wiped, the connection closed. */
  signal: AbortSignal;
  /** The hardware profile; gathered with systeminformation when absent. */
  profile?: HardwareProfile;
  backoff?: Backoff;
}

/**
 * Refuses to start when the sandbox is asked for and cannot work here, rather than running jobs
 * without it; says loudly at every start that `sandbox: none` runs them uncontained.
 */
async function requireSandbox(config: AgentConfig, logger: Logger): Promise<string> {
  if (config.sandbox === 'none') {
    logger.warn({ sandbox: 'none' }, UNSAFE_NO_SANDBOX);
    return 'none';
  }
  const probe = await probeSandbox();
  if (!probe.ok) throw new SandboxError('SANDBOX_UNAVAILABLE', `${probe.problem}; the agent does not run jobs without the sandbox it was configured with (darkroom agent check --config ${config.file})`);
  return config.sandbox;
}

/** Refuses to start an agent that trusts no maintainer (it could run nothing) or whose sandbox cannot work. */
export async function runDaemon(config: AgentConfig, options: DaemonOptions): Promise<void> {
  const { logger, signal } = options;
  if (config.trustedMaintainers.length === 0) throw new ConfigError('NO_TRUSTED_MAINTAINERS', noTrustedMaintainers(config.file));
  const sandbox = await requireSandbox(config, logger);
  const identity = await readIdentity(config.stateDir);
  const enrolment = await readEnrolment(config.stateDir);
  if (enrolment.coordinatorFingerprint !== config.coordinator.fingerprint) {
    throw new EnrolmentError('ENROLMENT_OTHER_COORDINATOR', `This agent enrolled with coordinator ${enrolment.coordinatorFingerprint}, but ${config.file} pins ${config.coordinator.fingerprint}: restore the fingerprint, or enrol again with the new coordinator`);
  }
  const profile = options.profile ?? await gatherHardwareProfile({ logger });
  const declaration = buildDeclaration(config, profile);
  const link = new ChannelLink();
  const outbox = await Outbox.open(join(config.stateDir, OUTBOX_DIR_NAME));
  const runner = new JobRunner({
    config, identity, agentName: enrolment.name, testerContact: enrolment.contact, profile: profileToProto(profile), hardwareClass: resolveHardwareClass(config.hardwareClass, profile),
    workspaces: await Workspaces.open(config.workspace.root), outbox,
    states: new JobStates(config.stateDir), processes: new JobProcesses(config.stateDir), link, logger, concurrency: config.concurrency,
  });
  await runner.recover();
  logger.info({ name: enrolment.name, fingerprint: fingerprint(identity), hardwareClass: declaration.hardwareClass, trees: config.trees.map((t) => t.name), trustedMaintainers: config.trustedMaintainers, sandbox }, 'agent started');
  const session = (channel: Channel, welcome: darkroom.v1.Welcome) => {
    link.attach(channel);
    return runSession({ channel, welcome, declaration, outbox, jobs: runner, logger });
  };
  try {
    await runConnectionLoop({ url: config.coordinator.url, fingerprint: config.coordinator.fingerprint, identity, logger, signal, session, ...(options.backoff ? { backoff: options.backoff } : {}) });
  } finally {
    await runner.stop(STOP_REASON);
    logger.info('agent stopped');
  }
}
