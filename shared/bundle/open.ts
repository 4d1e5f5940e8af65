// Opening: header and trust first, then the key, then every payload chunk authenticated before a
// single plaintext byte is written; bundles extract into a staging directory renamed into place.
import { createReadStream } from 'node:fs';
import { mkdir, open as openFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nacl, type Nacl } from '../crypto/index.js';
import { parseBundleManifest, parseLogsManifest, bundleEntryNames, logsEntryNames, type BundleManifest } from './archive/manifest.js';
import { PatchScanner } from './archive/patch-check.js';
import { walkArchive } from './archive/walk.js';
import { parseContainer, readContainerFile } from './container.js';
import { BundleError } from './errors.js';
import { SealedKind, readHeader, type ParsedHeader } from './header.js';
import { payloadKey } from './keys.js';
import { unwrapAny, type StanzaIdentity } from './stanza.js';
import { ChunkOpener, chunkTransform, openPayloadBytes } from './stream.js';

/** Decides whether the (signature-checked) signer may be trusted for this envelope. */
export type TrustPolicy = (parsed: ParsedHeader) => boolean;

export interface UnsealOptions {
  identity: StanzaIdentity;
  trust: TrustPolicy;
  crypto?: Nacl;
}

export interface Unsealed {
  parsed: ParsedHeader;
  payloadKey: Uint8Array;
}

const KIND_NAMES = { [SealedKind.BUNDLE]: 'bundle', [SealedKind.LOGS]: 'logs', [SealedKind.RESULT_DETAILS]: 'result details' } as Record<number, string>;

/**
 * Header, kind, trust, then the stanza for `identity`: everything that can be decided before the
 * payload is read. An agent calls it before fetching a payload it could not open anyway.
 */
export function unseal(envelope: { signedHeader: Uint8Array; stanzas: Uint8Array[] }, kind: number, options: UnsealOptions): Unsealed {
  const crypto = options.crypto ?? nacl;
  const parsed = readHeader(envelope.signedHeader, { crypto });
  if (parsed.header.kind !== kind) {
    throw new BundleError('KIND_MISMATCH', `Envelope ${parsed.bundleId} holds ${KIND_NAMES[parsed.header.kind] ?? 'something else'}, not ${KIND_NAMES[kind] ?? kind}: it was delivered to the wrong place`);
  }
  if (!options.trust(parsed)) {
    const key = Buffer.from(parsed.signerKey).toString('hex').slice(0, 16);
    throw new BundleError('UNTRUSTED_SIGNER', `Envelope ${parsed.bundleId} is signed by '${parsed.header.signerName}' (sign key ${key}…), who is not a trusted signer for embargo '${parsed.header.embargo}': refused before anything was written; a revoked or unknown maintainer cannot submit`);
  }
  const contentKey = unwrapAny(envelope.stanzas, parsed, options.identity, { crypto });
  return { parsed, payloadKey: payloadKey(crypto, contentKey, parsed.envelopeId) };
}

export interface PayloadFile {
  path: string;
  /** Where the ciphertext starts (a container file's payload offset); 0 for a bare payload. */
  offset?: number;
}

function payloadStream(payload: PayloadFile): Readable {
  return createReadStream(payload.path, { start: payload.offset ?? 0, highWaterMark: 256 * 1024 });
}

/** Authenticates every chunk of a payload file without keeping or writing any plaintext. */
export async function authenticatePayload(payload: PayloadFile, unsealed: Unsealed, options: { crypto?: Nacl } = {}): Promise<void> {
  const opener = new ChunkOpener(options.crypto ?? nacl, unsealed.payloadKey, unsealed.parsed.header.payloadBytes);
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(payloadStream(payload), chunkTransform(opener), discard);
}

export interface OpenedBundle {
  parsed: ParsedHeader;
  manifest: BundleManifest;
  /** The destination directory: `series/<tree>/<patch>` inside it. */
  directory: string;
  targets: { tree: string; base: string; patches: string[] }[];
}

async function writeEntry(path: string, name: string, content: AsyncIterable<Uint8Array>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await openFile(path, 'wx', 0o600);
  const scanner = new PatchScanner(name);
  try {
    for await (const part of content) {
      scanner.push(part);
      await handle.write(part);
    }
    scanner.end();
  } finally {
    await handle.close();
  }
}

/**
 * Opens a bundle into `destination` (which must not exist): unseal, authenticate the whole payload,
 * then extract into a private staging directory and rename it into place. On any refusal no
 * plaintext file remains.
 */
export async function openBundle(envelope: { signedHeader: Uint8Array; stanzas: Uint8Array[]; payload: PayloadFile }, options: UnsealOptions & { destination: string }): Promise<OpenedBundle> {
  const crypto = options.crypto ?? nacl;
  const unsealed = unseal(envelope, SealedKind.BUNDLE, options);
  await authenticatePayload(envelope.payload, unsealed, { crypto });
  const staging = `${options.destination}.staging-${Buffer.from(crypto.randomBytes(6)).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  let manifest: BundleManifest | null = null;
  try {
    const opener = new ChunkOpener(crypto, unsealed.payloadKey, unsealed.parsed.header.payloadBytes);
    await walkArchive(payloadStream(envelope.payload).pipe(chunkTransform(opener)), {
      manifest: (bytes) => {
        manifest = parseBundleManifest(bytes, unsealed.parsed.header);
        return bundleEntryNames(manifest);
      },
      entry: (name, content) => writeEntry(join(staging, name), name, content),
    });
    await rename(staging, options.destination).catch((cause: unknown) => {
      throw new BundleError('DESTINATION_EXISTS', `Cannot move the opened bundle into ${options.destination}: ${(cause as Error).message}; remove it or choose another workspace`, { cause });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const opened = manifest as BundleManifest | null;
  if (!opened) throw new BundleError('ARCHIVE_MALFORMED', `Bundle ${unsealed.parsed.bundleId} has no manifest`);
  return {
    parsed: unsealed.parsed,
    manifest: opened,
    directory: options.destination,
    targets: opened.targets.map((t) => ({ tree: t.tree, base: t.base, patches: t.patches.map((p) => join(options.destination, 'series', t.tree, p)) })),
  };
}

/** Opens a bundle container file (as `sealBundle` writes and `darkroom` exports). */
export async function openBundleFile(path: string, options: UnsealOptions & { destination: string }): Promise<OpenedBundle> {
  const prefix = await readContainerFile(path);
  return openBundle({ signedHeader: prefix.signedHeaderBytes, stanzas: prefix.stanzas, payload: { path, offset: prefix.payloadOffset } }, options);
}

export interface OpenedLogs {
  parsed: ParsedHeader;
  files: { name: string; content: Buffer }[];
}

/** Opens a logs container held in memory (at most 8 MiB of plaintext). */
export async function openLogs(container: Uint8Array, options: UnsealOptions): Promise<OpenedLogs> {
  const crypto = options.crypto ?? nacl;
  const { signedHeaderBytes, stanzas, payload } = await parseContainer(container, 'Sealed logs');
  const unsealed = unseal({ signedHeader: signedHeaderBytes, stanzas }, SealedKind.LOGS, options);
  const plaintext = openPayloadBytes(crypto, unsealed.payloadKey, payload, unsealed.parsed.header.payloadBytes);
  const files: OpenedLogs['files'] = [];
  await walkArchive(Readable.from([plaintext]), {
    manifest: (bytes) => logsEntryNames(parseLogsManifest(bytes)),
    entry: async (name, content) => {
      const parts: Buffer[] = [];
      for await (const part of content) parts.push(Buffer.from(part));
      files.push({ name: name.slice('logs/'.length), content: Buffer.concat(parts) });
    },
  });
  return { parsed: unsealed.parsed, files };
}

export interface OpenedDetails {
  parsed: ParsedHeader;
  /** The plaintext: the encoded ResultDetails the agent sealed. */
  payload: Uint8Array;
}

/** Opens a result-details container held in memory (at most 512 KiB of plaintext). */
export async function openDetails(container: Uint8Array, options: UnsealOptions): Promise<OpenedDetails> {
  const crypto = options.crypto ?? nacl;
  const { signedHeaderBytes, stanzas, payload } = await parseContainer(container, 'Sealed result details');
  const unsealed = unseal({ signedHeader: signedHeaderBytes, stanzas }, SealedKind.RESULT_DETAILS, options);
  return { parsed: unsealed.parsed, payload: openPayloadBytes(crypto, unsealed.payloadKey, payload, unsealed.parsed.header.payloadBytes) };
}
