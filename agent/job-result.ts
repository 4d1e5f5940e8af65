// A job's signed result: the stage logs kept to a budget and the result details (case names,
// reasons) sealed to the maintainers the bundle names, the verdicts and case counts, the machine,
// the times, the tester's contact; signed with the agent's key.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { darkroom } from '../proto/darkroom.js';
import { sealLogs, type Recipient } from '../shared/bundle/index.js';
import { isLogFileName } from '../shared/bundle/limits.js';
import type { Identity } from '../shared/identity.js';
import { signResult, type SignedResultParts } from '../shared/result.js';
import { sealResultDetails, splitStages } from '../shared/result-details.js';
import { rollUp, statusFromProto, statusToProto } from '../shared/status.js';
import { SOFTWARE } from '../shared/version.js';
import type { StageInit } from './pipeline/stages.js';

/**
 * Plaintext bytes of stage logs sealed into one result. The logs format allows 8 MiB, but the
 * result travels in one ResultSubmit frame of at most 4 MiB (shared/wire/frame.ts), so the logs
 * keep to 3 MiB and leave room for the result and the envelope's overhead.
 */
export const RESULT_LOG_BUDGET_BYTES = 3 * 1024 * 1024;
/** Archive overhead per file (ustar header and padding) and for the manifest, counted against the budget. */
const ARCHIVE_BYTES_PER_FILE = 1024;
const ARCHIVE_BYTES_FIXED = 8 * 1024;

export interface LogFile {
  name: string;
  content: Buffer;
}

const droppedNote = (dropped: number) => Buffer.from(`[darkroom: the first ${dropped} bytes of this log were dropped to fit the result]\n`);

/** The newest `keep` bytes of a file, with a note saying how much was dropped. */
async function tailOf(path: string, size: number, keep: number): Promise<Buffer> {
  const whole = await readFile(path);
  if (whole.length <= keep) return whole;
  const note = droppedNote(size - keep);
  return Buffer.concat([note, whole.subarray(whole.length - Math.max(0, keep - note.length))]);
}

/**
 * Every stage log in `dir`, each cut to its newest bytes so that all of them fit `budget`: the
 * budget is shared evenly, and what a short log leaves over goes to the longer ones.
 */
export async function collectStageLogs(dir: string, budget = RESULT_LOG_BUDGET_BYTES): Promise<LogFile[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(isLogFileName).sort();
  const sized = await Promise.all(names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })));
  sized.sort((a, b) => a.size - b.size);
  let left = Math.max(0, budget - ARCHIVE_BYTES_FIXED - ARCHIVE_BYTES_PER_FILE * sized.length);
  const files: LogFile[] = [];
  for (const [index, file] of sized.entries()) {
    const share = Math.floor(left / (sized.length - index));
    const content = await tailOf(join(dir, file.name), file.size, Math.min(file.size, share));
    left -= content.length;
    files.push({ name: file.name, content });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

export interface ResultInput {
  offer: Pick<darkroom.v1.JobOffer, 'jobId' | 'attempt' | 'bundleId' | 'tree'>;
  agentName: string;
  /** The tester's "Name <mail>" as this agent keeps it (enrolment.json), signed into the result. */
  testerContact: string;
  identity: Identity;
  hardwareClass: string;
  profile: darkroom.v1.HardwareProfile.$Properties;
  stages: StageInit[];
  startedAtMs: number;
  finishedAtMs: number;
  /** The lab name the tester agreed to publish (agent.yaml `public_lab`); absent: anonymous. */
  publicLab?: string;
  /** Logs and who may read them (the details too); absent when the bundle was refused (its recipients are not trusted). */
  logs?: { embargo: string; recipients: Recipient[]; files: LogFile[] };
}

/**
 * Seals the logs and the details (when there are readers), builds and signs the result. Without
 * readers (a refused bundle) no case was run and the refusal reason stays in the stages.
 */
export async function buildSignedResult(input: ResultInput): Promise<SignedResultParts> {
  const { logs, offer } = input;
  const signer = { name: input.agentName, identity: input.identity };
  const readers = logs && logs.recipients.length > 0 ? logs : null;
  const sealedLogs = readers && readers.files.length > 0
    ? await sealLogs({ embargo: readers.embargo, signer, jobId: offer.jobId, recipients: readers.recipients, files: readers.files })
    : new Uint8Array();
  const split = splitStages(input.stages, { keepReason: readers === null });
  const sealedDetails = readers
    ? sealResultDetails({ embargo: readers.embargo, signer, jobId: offer.jobId, attempt: offer.attempt, recipients: readers.recipients, details: split.details })
    : new Uint8Array();
  const status = rollUp(input.stages.map((stage) => statusFromProto(stage.status!)));
  return signResult({
    jobId: offer.jobId, attempt: offer.attempt, bundleId: offer.bundleId, agentName: input.agentName, tree: offer.tree,
    hardwareClass: input.hardwareClass, profile: input.profile, stages: split.stages, startedAtMs: input.startedAtMs, finishedAtMs: input.finishedAtMs,
    sealedLogs, sealedDetails, testerContact: input.testerContact, software: SOFTWARE, status: statusToProto(status), publicLab: input.publicLab ?? '',
  }, input.identity);
}
