// `darkroom submit`: read each series, fetch and check the recipients, seal, upload, remember the key.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sealBundle, type SealedBundleFile } from '../shared/bundle/index.js';
import { nacl } from '../shared/crypto/index.js';
import { DarkroomError } from '../shared/errors.js';
import { WireError } from '../shared/wire/errors.js';
import type { Channel } from '../transport/channel.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome, PinReview } from './home.js';
import { fetchRecipients, pinAgents, sealedMaintainers, type PinConfirmation } from './recipients.js';
import { readSeries } from './series.js';

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
  confirm: PinConfirmation;
}

export interface Submitted {
  bundleId: string;
  jobs: number;
  recipients: string[];
  /** Maintainers the bundle's key was also sealed to (they can `darkroom fetch` it). */
  maintainers: string[];
  review: PinReview;
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
  const list = await fetchRecipients(connection, { embargo: request.embargo, trees });
  if (list.agents.length === 0) throw new SubmitError('NO_RECIPIENTS', `No eligible agent of embargo '${request.embargo}' declares ${trees.join(' or ')}: nothing was sealed; ask the administrator which testers the embargo names`);
  const review = await pinAgents(home, list.agents, request.confirm);
  const targets = [];
  for (const target of request.targets) targets.push({ tree: target.tree, base: target.base, patches: await readSeries(target.series) });
  const maintainers = sealedMaintainers(list);
  const path = join(await home.bundlesDir(), `upload-${Buffer.from(nacl.randomBytes(8)).toString('hex')}.sealed`);
  try {
    const sealed = await sealBundle({
      embargo: request.embargo,
      signer: { name: connection.settings.name, identity: connection.identity },
      targets,
      workloads: request.workloads,
      logRecipients: maintainers.map((maintainer) => ({ name: maintainer.name, boxKey: maintainer.boxKey })),
      recipients: [...list.agents, ...maintainers].map((party) => party.boxKey),
    }, { path });
    const recipients = list.agents.map((agent) => agent.name);
    await home.saveBundle({
      bundleId: sealed.bundleId,
      embargo: request.embargo,
      trees,
      signedHeader: Buffer.from(sealed.parsed.signedHeaderBytes).toString('base64'),
      contentKey: Buffer.from(sealed.contentKey).toString('base64'),
      recipients,
      submittedAt: new Date().toISOString(),
    });
    const { jobs } = await uploadSealed(connection.channel, sealed);
    return { bundleId: sealed.bundleId, jobs, recipients, maintainers: maintainers.map((maintainer) => maintainer.name), review };
  } finally {
    await rm(path, { force: true });
  }
}
