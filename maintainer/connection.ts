// A maintainer's connection to the pinned coordinator, with the home's identity; and enrolment.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../proto/darkroom.js';
import { DarkroomError } from '../shared/errors.js';
import { KEY_FILE_NAME, fingerprint, generateIdentity, normalizeFingerprint, readIdentity, writeIdentity, type Identity, type PublicIdentity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import type { Channel } from '../transport/channel.js';
import { connect } from '../transport/connect.js';
import { HomeError, type MaintainerHome, type MaintainerSettings } from './home.js';

export type EnrolErrorCode = 'ENROLMENT_REFUSED';

export class EnrolError extends DarkroomError<EnrolErrorCode> {}

export interface MaintainerConnection {
  channel: Channel;
  identity: Identity;
  settings: MaintainerSettings;
  /** The coordinator's keys, proven against the pin in the handshake. */
  coordinator: PublicIdentity;
  close(): void;
}

async function caOf(settings: MaintainerSettings): Promise<Buffer | undefined> {
  return settings.ca ? readFile(settings.ca) : undefined;
}

/** Connects to the coordinator of the home's settings, as the home's enrolled identity. */
export async function connectMaintainer(home: MaintainerHome, options: { logger: Logger }): Promise<MaintainerConnection> {
  const settings = await home.settings();
  const identity = await home.identity();
  const ca = await caOf(settings);
  const connected = await connect({ url: settings.coordinator, identity, role: darkroom.v1.Role.ROLE_MAINTAINER, fingerprint: settings.fingerprint, logger: options.logger, ...(ca ? { ca } : {}) });
  return { channel: connected.channel, identity, settings, coordinator: connected.server, close: () => connected.channel.close(1000, 'done') };
}

export interface EnrolOptions {
  coordinator: string;
  fingerprint: string;
  token: string;
  contact?: string;
  ca?: string;
  logger: Logger;
}

/** Keys made in the home (or reused from an unfinished enrolment), then the token presented. */
async function homeIdentity(home: MaintainerHome): Promise<Identity> {
  const exists = await stat(join(home.dir, KEY_FILE_NAME)).then(() => true, () => false);
  if (exists) return readIdentity(home.dir);
  const identity = generateIdentity();
  await writeIdentity(home.dir, identity);
  return identity;
}

/** Enrols the home's identity with a one-time maintainer token; saves the settings on success. */
export async function enrolMaintainer(home: MaintainerHome, options: EnrolOptions): Promise<{ settings: MaintainerSettings; fingerprint: string }> {
  const enrolled = await home.settings().then(() => true, (error: unknown) => !(error instanceof HomeError && error.code === 'NOT_ENROLLED'));
  if (enrolled) throw new HomeError('ALREADY_ENROLLED', `${home.dir} already holds an enrolled maintainer: use another --home to enrol again`);
  await home.ensure();
  const pinned = normalizeFingerprint(options.fingerprint);
  const identity = await homeIdentity(home);
  const ca = options.ca ? await readFile(options.ca) : undefined;
  const connected = await connect({ url: options.coordinator, identity, role: darkroom.v1.Role.ROLE_MAINTAINER, purpose: darkroom.v1.Purpose.PURPOSE_ENROLL, fingerprint: pinned, logger: options.logger, ...(ca ? { ca } : {}) });
  let result: darkroom.v1.EnrollResult.$Properties;
  try {
    const reply = await connected.channel.request({ enrollRequest: { token: options.token, contact: options.contact ?? '' } });
    if (!reply.enrollResult) throw new EnrolError('ENROLMENT_REFUSED', `Coordinator answered the enrolment with '${reply.body}' instead of a result: check that ${options.coordinator} is a Darkroom coordinator of this version`);
    result = reply.enrollResult;
  } finally {
    connected.channel.close(1000, 'enrolled');
  }
  const settings: MaintainerSettings = { coordinator: options.coordinator, fingerprint: pinned, name: result.name ?? '', ...(options.ca ? { ca: options.ca } : {}) };
  await home.saveSettings(settings);
  return { settings, fingerprint: fingerprint(identity) };
}
