// Sealing: a signed header, one signed stanza per recipient and the chunked payload, written as a
// container file (bundles, streamed with bounded memory) or returned as bytes (logs).
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { KEY_BYTES, nacl, type Nacl } from '../crypto/index.js';
import type { Identity } from '../identity.js';
import { archiveSize, packArchive, type ArchiveEntry } from './archive/pack.js';
import { MANIFEST_NAME, encodeManifest, logEntryName, patchEntryName, type BundleManifest } from './archive/manifest.js';
import { encodeContainer, encodeContainerPrefix } from './container.js';
import { BundleError } from './errors.js';
import { SealedKind, signHeader, type HeaderInit, type ParsedHeader } from './header.js';
import { keyCommitment, payloadKey, type RandomSource } from './keys.js';
import { CHUNK_SIZE, FORMAT_VERSION, MAX_DETAILS_PAYLOAD_BYTES, MAX_LOG_PAYLOAD_BYTES, SALT_BYTES, isPatchFileName } from './limits.js';
import { wrapForRecipients } from './stanza.js';
import { ChunkSealer, chunkTransform, sealPayloadBytes, sealedPayloadBytes } from './stream.js';

export interface Signer {
  name: string;
  identity: Pick<Identity, 'signKey' | 'signSecret'>;
}

export interface Recipient {
  name: string;
  boxKey: Uint8Array;
}

export interface SealOptions {
  crypto?: Nacl;
  /** Test vectors only: a fixed stream instead of the CSPRNG. */
  random?: RandomSource;
  /** The header's creation time; now by default. */
  nowMs?: number;
}

export type PatchSource = { name: string; path: string } | { name: string; content: Uint8Array };

export interface BundleTargetInput {
  tree: string;
  base: string;
  patches: PatchSource[];
}

export interface SealBundleInput {
  embargo: string;
  signer: Signer;
  targets: BundleTargetInput[];
  /** Workloads to run; empty: every workload each agent declared. */
  workloads?: string[];
  /** The maintainers whose keys the agents encrypt logs to. */
  logRecipients: Recipient[];
  /** The agents' box keys the content key is wrapped for. */
  recipients: Uint8Array[];
  description?: string;
}

export interface SealedEnvelope {
  parsed: ParsedHeader;
  bundleId: string;
  /** Keep it to rewrap for later recipients; it opens the bundle. */
  contentKey: Uint8Array;
  stanzas: Uint8Array[];
}

export interface SealedBundleFile extends SealedEnvelope {
  path: string;
  /** Where the payload ciphertext starts in the file, and its length. */
  payloadOffset: number;
  payloadCiphertextBytes: number;
}

interface Prepared extends SealedEnvelope {
  payloadKey: Uint8Array;
}

/** Draws the content key and salt, signs the header, wraps the key for every recipient. */
function prepare(init: Omit<HeaderInit, 'format' | 'salt' | 'signerName' | 'signerSignKey' | 'chunkSize' | 'keyCommitment' | 'createdAtMs'>, signer: Signer, recipients: Uint8Array[], options: SealOptions): Prepared {
  const crypto = options.crypto ?? nacl;
  const random = options.random ?? ((length: number) => crypto.randomBytes(length));
  const contentKey = random(KEY_BYTES);
  const parsed = signHeader(crypto, {
    ...init,
    format: FORMAT_VERSION,
    salt: random(SALT_BYTES),
    signerName: signer.name,
    signerSignKey: signer.identity.signKey,
    chunkSize: CHUNK_SIZE,
    keyCommitment: keyCommitment(crypto, contentKey),
    createdAtMs: options.nowMs ?? Date.now(),
  }, signer.identity.signSecret);
  const stanzas = wrapForRecipients(contentKey, parsed, recipients, signer.identity, { crypto, random });
  return { parsed, bundleId: parsed.bundleId, contentKey, stanzas, payloadKey: payloadKey(crypto, contentKey, parsed.envelopeId) };
}

async function patchEntry(tree: string, patch: PatchSource): Promise<ArchiveEntry> {
  if (!isPatchFileName(patch.name)) {
    throw new BundleError('INVALID_INPUT', `Cannot seal patch '${patch.name}' of tree '${tree}': its name must look like 0001-short-subject.patch (at most 100 characters); rename it or regenerate the series with 'git format-patch'`);
  }
  const name = patchEntryName(tree, patch.name);
  if ('content' in patch) return { name, size: patch.content.length, content: patch.content, checkPatch: true };
  const info = await stat(patch.path).catch((cause: unknown) => {
    throw new BundleError('INVALID_INPUT', `Cannot read patch ${patch.path}: ${(cause as Error).message}`, { cause });
  });
  if (!info.isFile()) throw new BundleError('INVALID_INPUT', `Cannot seal ${patch.path}: it is not a regular file`);
  return { name, size: info.size, content: { path: patch.path }, checkPatch: true };
}

/** The archive entries of a bundle: manifest.json, then each target's patches in order. */
export async function bundleEntries(input: Pick<SealBundleInput, 'targets' | 'description'>): Promise<ArchiveEntry[]> {
  const manifest: BundleManifest = {
    format: FORMAT_VERSION,
    kind: 'bundle',
    description: input.description ?? '',
    targets: input.targets.map((t) => ({ tree: t.tree, base: t.base, patches: t.patches.map((p) => p.name) })),
  };
  const manifestBytes = encodeManifest(manifest);
  const patches: ArchiveEntry[] = [];
  for (const target of input.targets) {
    for (const patch of target.patches) patches.push(await patchEntry(target.tree, patch));
  }
  return [{ name: MANIFEST_NAME, size: manifestBytes.length, content: manifestBytes }, ...patches];
}

/**
 * Seals archive `entries` as a bundle into a new container file at `path` (mode 0600; refused if
 * it exists). Memory stays bounded by one chunk whatever the size of the series.
 */
export async function sealBundleEntries(input: Omit<SealBundleInput, 'targets' | 'description'> & { targets: { tree: string; base: string; patches: number }[]; entries: ArchiveEntry[] }, options: SealOptions & { path: string }): Promise<SealedBundleFile> {
  const crypto = options.crypto ?? nacl;
  const payloadBytes = archiveSize(input.entries);
  const prepared = prepare({
    kind: SealedKind.BUNDLE,
    embargo: input.embargo,
    targets: input.targets,
    workloads: input.workloads ?? [],
    logRecipients: input.logRecipients.map((r) => ({ name: r.name, boxKey: r.boxKey })),
    payloadBytes,
  }, input.signer, input.recipients, options);
  const prefix = encodeContainerPrefix(prepared.parsed.signedHeaderBytes, prepared.stanzas);
  const file = createWriteStream(options.path, { flags: 'wx', mode: 0o600 });
  try {
    file.write(prefix);
    await pipeline(packArchive(input.entries), chunkTransform(new ChunkSealer(crypto, prepared.payloadKey, payloadBytes)), file);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) await rm(options.path, { force: true });
    throw error;
  }
  const { payloadKey: _key, ...sealed } = prepared;
  return { ...sealed, path: options.path, payloadOffset: prefix.length, payloadCiphertextBytes: sealedPayloadBytes(payloadBytes) };
}

/** Seals a patch series per target tree for the given agents; see docs/sealed-bundle.md. */
export async function sealBundle(input: SealBundleInput, options: SealOptions & { path: string }): Promise<SealedBundleFile> {
  const entries = await bundleEntries(input);
  const targets = input.targets.map((t) => ({ tree: t.tree, base: t.base, patches: t.patches.length }));
  return sealBundleEntries({ ...input, targets, entries }, options);
}

export interface SealLogsInput {
  embargo: string;
  signer: Signer;
  /** The job the logs belong to. */
  jobId: string;
  recipients: Recipient[];
  files: { name: string; content: Uint8Array }[];
}

async function collectArchive(entries: ArchiveEntry[]): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of packArchive(entries)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Seals a job's logs to the maintainers named in its bundle; returns the container bytes. */
export async function sealLogs(input: SealLogsInput, options: SealOptions = {}): Promise<Uint8Array> {
  const crypto = options.crypto ?? nacl;
  const manifest = encodeManifest({ format: FORMAT_VERSION, kind: 'logs', files: input.files.map((f) => f.name) });
  const entries: ArchiveEntry[] = [
    { name: MANIFEST_NAME, size: manifest.length, content: manifest },
    ...input.files.map((f) => ({ name: logEntryName(f.name), size: f.content.length, content: f.content })),
  ];
  const payloadBytes = archiveSize(entries);
  if (payloadBytes > MAX_LOG_PAYLOAD_BYTES) {
    throw new BundleError('SIZE_LIMIT', `Logs of job ${input.jobId} make ${payloadBytes} bytes, over the limit of ${MAX_LOG_PAYLOAD_BYTES}: keep only the tail of each log`);
  }
  const prepared = prepare({ kind: SealedKind.LOGS, embargo: input.embargo, payloadBytes, subjectId: input.jobId }, input.signer, input.recipients.map((r) => r.boxKey), options);
  const payload = sealPayloadBytes(crypto, prepared.payloadKey, await collectArchive(entries));
  return encodeContainer(prepared.parsed.signedHeaderBytes, prepared.stanzas, payload);
}

export interface SealDetailsInput {
  embargo: string;
  signer: Signer;
  /** The job the details belong to. */
  jobId: string;
  recipients: Recipient[];
  /** The encoded details (a ResultDetails message); this layer does not read them. */
  payload: Uint8Array;
}

/** Seals a result's details to the maintainers named in its bundle; returns the container bytes. */
export function sealDetails(input: SealDetailsInput, options: SealOptions = {}): Uint8Array {
  const crypto = options.crypto ?? nacl;
  if (input.payload.length > MAX_DETAILS_PAYLOAD_BYTES) {
    throw new BundleError('SIZE_LIMIT', `Result details of job ${input.jobId} make ${input.payload.length} bytes, over the limit of ${MAX_DETAILS_PAYLOAD_BYTES}: keep fewer cases`);
  }
  const prepared = prepare({ kind: SealedKind.RESULT_DETAILS, embargo: input.embargo, payloadBytes: input.payload.length, subjectId: input.jobId }, input.signer, input.recipients.map((r) => r.boxKey), options);
  return encodeContainer(prepared.parsed.signedHeaderBytes, prepared.stanzas, sealPayloadBytes(crypto, prepared.payloadKey, input.payload));
}
