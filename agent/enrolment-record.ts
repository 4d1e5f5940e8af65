// The agent's record of its enrolment (enrolment.json in the state directory, mode 0600): the name
// and groups the coordinator gave it, and the coordinator it enrolled with.
import { constants } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../shared/errors.js';

export const ENROLMENT_FILE_NAME = 'enrolment.json';
const ENROLMENT_FORMAT = 'darkroom-enrolment-v1';

export type EnrolmentErrorCode = 'NOT_ENROLLED' | 'ALREADY_ENROLLED' | 'ENROLMENT_MALFORMED' | 'ENROLMENT_REFUSED' | 'ENROLMENT_OTHER_COORDINATOR';

export class EnrolmentError extends DarkroomError<EnrolmentErrorCode> {}

export interface EnrolmentRecord {
  /** The name the coordinator gave this agent; it appears in every result. */
  name: string;
  groups: string[];
  coordinatorUrl: string;
  coordinatorFingerprint: string;
  /** This agent's own fingerprint. */
  fingerprint: string;
  /** The tester's "Name <mail>" from `agent enroll --contact`; signed into every result for Tested-by. Empty when none was given. */
  contact: string;
  enrolledAtMs: number;
}

export const enrolmentPath = (stateDir: string): string => join(stateDir, ENROLMENT_FILE_NAME);

export async function hasEnrolment(stateDir: string): Promise<boolean> {
  return stat(enrolmentPath(stateDir)).then(() => true, () => false);
}

/** Writes the record atomically (temp file, fsync, rename), mode 0600. */
export async function writeEnrolment(stateDir: string, record: EnrolmentRecord): Promise<string> {
  const path = enrolmentPath(stateDir);
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ format: ENROLMENT_FORMAT, ...record }, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  return path;
}

export async function readEnrolment(stateDir: string): Promise<EnrolmentRecord> {
  const path = enrolmentPath(stateDir);
  const text = await readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') throw new EnrolmentError('NOT_ENROLLED', `No enrolment record at ${path}: run 'darkroom agent enroll --config FILE --token TOKEN' first`, { cause });
    throw new EnrolmentError('ENROLMENT_MALFORMED', `Cannot read the enrolment record ${path}: ${cause.message}`, { cause });
  });
  let parsed: Partial<EnrolmentRecord> & { format?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EnrolmentError('ENROLMENT_MALFORMED', `Enrolment record ${path} is not valid JSON: enrol again with a new token`, { cause });
  }
  if (parsed.format !== ENROLMENT_FORMAT || typeof parsed.name !== 'string' || !parsed.name || !Array.isArray(parsed.groups) || typeof parsed.coordinatorFingerprint !== 'string') {
    throw new EnrolmentError('ENROLMENT_MALFORMED', `Enrolment record ${path} is not a ${ENROLMENT_FORMAT} file: enrol again with a new token`);
  }
  return {
    name: parsed.name, groups: parsed.groups.map(String), coordinatorUrl: String(parsed.coordinatorUrl ?? ''),
    coordinatorFingerprint: parsed.coordinatorFingerprint, fingerprint: String(parsed.fingerprint ?? ''), contact: String(parsed.contact ?? ''), enrolledAtMs: Number(parsed.enrolledAtMs ?? 0),
  };
}
