// `darkroom submit`: read each series, fetch the recipients and keep the approved ones, seal, upload,
// remember the key.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sealBundle, type SealedBundleFile } from '../shared/bundle/index.js';
import { nacl } from '../shared/crypto/index.js';
import { DarkroomError } from '../shared/errors.js';
import { WireError } from '../shared/wire/errors.js';
import type { Channel } from '../transport/channel.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';
import { resolveRecipients, type ApprovalPrompt, type ResolvedRecipients } from './recipients.js';
import { readSeries } from './series.js';
import { approveCommand } from './trust.js';

/** Bytes per UploadChunk: the coordinator takes at most 1 MiB. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export type SubmitErrorCode = 'TARGETS_INVALID' | 'NO_RECIPIENTS';

export class SubmitError extends DarkroomError<SubmitErrorCode> {}

export interface TargetSpec {
  tree: string;
  base: string;
  series: string;
}

/** Pairs `--tree NAME=BASE` with `--series PATH`, in the order given. */
export function pairTargets(trees: readonly string[], series: readonly string[]): TargetSpec[] {
  if (trees.length === 0) throw new SubmitError('TARGETS_INVALID', 'No --tree given: name the target as --tree NAME=BASE --series PATH');
  if (trees.length !== series.length) throw new SubmitError('TARGETS_INVALID', `${trees.length} --tree but ${series.length} --series: give one --series PATH after each --tree NAME=BASE`);
  return trees.map((spec, index) => {
    const match = /^([^=]+)=(.+)$/.exec(spec);
    if (!match) throw new SubmitError('TARGETS_INVALID', `--tree '${spec}' is not NAME=BASE: e.g. --tree linux-6.1.y=v6.1.100`);
    return { tree: match[1]!.trim(), base: match[2]!.trim(), series: series[index]! };
  });
}

export interface SubmitRequest {
  embargo: string;
  targets: TargetSpec[];
  workloads: string[];
  /** On a terminal: asked for each unapproved party. Without it nothing is approved here. */
  prompt?: ApprovalPrompt;
}

export interface Submitted {
  bundleId: string;
  jobs: number;
  /** Agents sealed to, by name. */
  recipients: string[];
  /** Maintainers the job logs are sealed to, by name. */
  logReaders: string[];
  /** Maintainers the bundle's key was also sealed to (they can `darkroom fetch` it): the log readers. */
  maintainers: string[];
  trust: Pick<ResolvedRecipients, 'leftOut' | 'refused' | 'approvedNow'>;
}

/** Uploads a sealed container's header, stanzas and payload; resumes where the coordinator says. */
export async function uploadSealed(channel: Channel, sealed: SealedBundleFile): Promise<{ jobs: number }> {
  const begin = await channel.request({ uploadBegin: { header: sealed.parsed.signedHeaderBytes, stanzas: sealed.stanzas, payloadBytes: sealed.payloadCiphertextBytes } });
  let accepted = begin.uploadAccepted;
  if (!accepted) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered UploadBegin with '${begin.body}'`);
  const handle = await open(sealed.path, 'r');
  try {
    const buffer = Buffer.alloc(UPLOAD_CHUNK_BYTES);
    let offset = Number(accepted.receivedBytes ?? 0);
    while (!accepted.complete) {
      const length = Math.min(UPLOAD_CHUNK_BYTES, sealed.payloadCiphertextBytes - offset);
      const { bytesRead } = await handle.read(buffer, 0, length, sealed.payloadOffset + offset);
      const last = offset + bytesRead === sealed.payloadCiphertextBytes;
      const reply = await channel.request({ uploadChunk: { bundleId: sealed.bundleId, offset, data: buffer.subarray(0, bytesRead), last } });
      if (!reply.uploadAccepted) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered UploadChunk with '${reply.body}'`);
      accepted = reply.uploadAccepted;
      offset = Number(accepted.receivedBytes ?? offset + bytesRead);
      if (last && !accepted.complete) throw new WireError('INTERNAL', `Coordinator took the whole payload of bundle ${sealed.bundleId} but did not accept it: run 'darkroom watch ${sealed.bundleId}' to check`);
    }
  } finally {
    await handle.close();
  }
  return { jobs: accepted.jobs ?? 0 };
}

/** The whole submission; the sealed file (ciphertext) is removed whatever happens. */
export async function submitBundle(home: MaintainerHome, connection: MaintainerConnection, request: SubmitRequest): Promise<Submitted> {
  const trees = request.targets.map((target) => target.tree);
  const resolved = await resolveRecipients(home, connection, { embargo: request.embargo, trees, ...(request.prompt ? { prompt: request.prompt } : {}) });
  if (resolved.list.agents.length === 0) throw new SubmitError('NO_RECIPIENTS', `No eligible agent of embargo '${request.embargo}' declares ${trees.join(' or ')}: nothing was sealed; ask the administrator which testers the embargo names`);
  if (resolved.agents.length === 0) {
    const commands = resolved.leftOut.filter((entry) => entry.role === 'agent').map((entry) => approveCommand('agent', entry.party));
    throw new SubmitError('NO_RECIPIENTS', `No agent of embargo '${request.embargo}' for ${trees.join(' or ')} is approved: nothing was sealed; check each tester's fingerprint outside Darkroom, then run: ${commands.join(' ; ')}`);
  }
  const trust = { leftOut: resolved.leftOut, refused: resolved.refused, approvedNow: resolved.approvedNow };
  const targets = [];
  for (const target of request.targets) targets.push({ tree: target.tree, base: target.base, patches: await readSeries(target.series) });
  // The approved maintainers (this home first) can fetch the series as well as read its logs.
  const maintainers = resolved.logReaders;
  const path = join(await home.bundlesDir(), `upload-${Buffer.from(nacl.randomBytes(8)).toString('hex')}.sealed`);
  try {
    const sealed = await sealBundle({
      embargo: request.embargo,
      signer: { name: connection.settings.name, identity: connection.identity },
      targets,
      workloads: request.workloads,
      logRecipients: resolved.logReaders,
      recipients: [...resolved.agents, ...maintainers].map((party) => party.boxKey),
    }, { path });
    const recipients = resolved.agents.map((agent) => agent.name);
    await home.saveBundle({
      bundleId: sealed.bundleId,
      embargo: request.embargo,
      trees,
      signedHeader: Buffer.from(sealed.parsed.signedHeaderBytes).toString('base64'),
      contentKey: Buffer.from(sealed.contentKey).toString('base64'),
      recipients,
      maintainers: maintainers.map((maintainer) => maintainer.name),
      submittedAt: new Date().toISOString(),
    });
    const { jobs } = await uploadSealed(connection.channel, sealed);
    return { bundleId: sealed.bundleId, jobs, recipients, logReaders: resolved.logReaders.map((reader) => reader.name), maintainers: maintainers.map((maintainer) => maintainer.name), trust };
  } finally {
    await rm(path, { force: true });
  }
}
