// `darkroom agent enroll`: make the agent's keys in its private state directory, present a one-time
// token to the pinned coordinator inside a sealed session, and record the name it was given.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../proto/darkroom.js';
import { fingerprint, generateIdentity, readIdentity, writeIdentity, KEY_FILE_NAME, type Identity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import { connect } from '../transport/connect.js';
import { checkStateDir } from './check.js';
import type { AgentConfig } from './config/index.js';
import { buildDeclaration } from './declaration.js';
import { EnrolmentError, enrolmentPath, hasEnrolment, writeEnrolment, type EnrolmentRecord } from './enrolment-record.js';
import type { HardwareProfile } from './hardware/index.js';

/** How long the coordinator may take to answer the enrolment request. */
export const ENROLL_TIMEOUT_MS = 30_000;

export interface EnrollOptions {
  token: string;
  /** "Name <mail>", used by maintainers for Tested-by trailers. */
  contact?: string;
  profile: HardwareProfile;
  logger: Logger;
}

export interface Enrolled {
  record: EnrolmentRecord;
  identityPath: string;
}

/** The state directory, made private (0700) if new; an existing one must already be private. */
async function prepareStateDir(dir: string): Promise<void> {
  const before = await checkStateDir(dir);
  if (!before.ok) throw new EnrolmentError('ENROLMENT_REFUSED', before.problem);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * An identity that exists without an enrolment record never enrolled (a refused token): it is
 * reused. With a record, the agent is enrolled already and nothing is overwritten.
 */
async function agentIdentity(stateDir: string, logger: Logger): Promise<Identity> {
  if (await hasEnrolment(stateDir)) {
    throw new EnrolmentError('ALREADY_ENROLLED', `This agent is already enrolled (${enrolmentPath(stateDir)} and ${join(stateDir, KEY_FILE_NAME)} exist): start it with 'darkroom agent run'; to enrol as a new agent, move both files away first`);
  }
  const existing = await readIdentity(stateDir).catch((error: { code?: string }) => (error.code === 'KEY_FILE_MISSING' ? null : Promise.reject(error)));
  if (existing) {
    logger.info({ fingerprint: fingerprint(existing) }, 'reusing the key of an earlier enrolment attempt that did not complete');
    return existing;
  }
  const identity = generateIdentity();
  await writeIdentity(stateDir, identity);
  return identity;
}

export async function enrollAgent(config: AgentConfig, options: EnrollOptions): Promise<Enrolled> {
  const { logger } = options;
  await prepareStateDir(config.stateDir);
  const identity = await agentIdentity(config.stateDir, logger);
  const own = fingerprint(identity);
  const { channel } = await connect({
    url: config.coordinator.url, fingerprint: config.coordinator.fingerprint, identity, logger,
    role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_ENROLL,
  });
  let result: darkroom.v1.EnrollResult.$Properties;
  try {
    const reply = await channel.request({
      enrollRequest: { token: options.token, contact: options.contact ?? '', declaration: buildDeclaration(config, options.profile) },
    }, ENROLL_TIMEOUT_MS);
    if (!reply.enrollResult) throw new EnrolmentError('ENROLMENT_REFUSED', `Coordinator answered the enrolment with '${reply.body}' instead of a result: check that ${config.coordinator.url} is a Darkroom coordinator of this version`);
    result = reply.enrollResult;
  } finally {
    channel.close(1000, 'enrolled');
  }
  if (!result.name) throw new EnrolmentError('ENROLMENT_REFUSED', `Coordinator at ${config.coordinator.url} enrolled this agent without a name: ask its operator to check the coordinator`);
  if (result.fingerprint && result.fingerprint !== own) logger.warn({ recorded: result.fingerprint, own }, 'coordinator reports another fingerprint than this agent\'s keys');
  const record: EnrolmentRecord = {
    name: result.name, groups: [...(result.groups ?? [])], coordinatorUrl: config.coordinator.url,
    coordinatorFingerprint: config.coordinator.fingerprint, fingerprint: own, contact: options.contact ?? '', enrolledAtMs: Date.now(),
  };
  await writeEnrolment(config.stateDir, record);
  logger.info({ name: record.name, fingerprint: own, groups: record.groups }, 'agent enrolled');
  return { record, identityPath: join(config.stateDir, KEY_FILE_NAME) };
}
