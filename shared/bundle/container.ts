// The single-file container: magic line, signed header, signed stanzas, then the payload.
import { open } from 'node:fs/promises';
import { BundleError } from './errors.js';
import { MAX_SIGNED_HEADER_BYTES, MAX_SIGNED_STANZA_BYTES, MAX_STANZAS } from './limits.js';

export const CONTAINER_MAGIC = Buffer.from('darkroom-sealed-v1\n', 'latin1');

export interface ContainerPrefix {
  signedHeaderBytes: Uint8Array;
  stanzas: Uint8Array[];
  /** Where the payload ciphertext starts in the file. */
  payloadOffset: number;
}

const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
};

/** Everything of a container before its payload. */
export function encodeContainerPrefix(signedHeaderBytes: Uint8Array, stanzas: Uint8Array[]): Uint8Array {
  return Buffer.concat([CONTAINER_MAGIC, u32(signedHeaderBytes.length), signedHeaderBytes, u32(stanzas.length), ...stanzas.flatMap((s) => [u32(s.length), s])]);
}

/** A whole container in memory (logs): prefix then payload. */
export function encodeContainer(signedHeaderBytes: Uint8Array, stanzas: Uint8Array[], payload: Uint8Array): Uint8Array {
  return Buffer.concat([encodeContainerPrefix(signedHeaderBytes, stanzas), payload]);
}

/** Reads `length` bytes at `offset`; fewer means the container ends inside its prefix. */
type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

async function parsePrefix(readAt: ReadAt, source: string): Promise<ContainerPrefix> {
  const exact = async (offset: number, length: number, what: string) => {
    const bytes = await readAt(offset, length);
    if (bytes.length !== length) throw new BundleError('CONTAINER_MALFORMED', `${source} ends inside its ${what} (at byte ${offset + bytes.length}): the file is truncated; export or fetch it again`);
    return bytes;
  };
  const magic = await readAt(0, CONTAINER_MAGIC.length);
  if (!CONTAINER_MAGIC.equals(magic)) throw new BundleError('CONTAINER_MALFORMED', `${source} does not start with the line 'darkroom-sealed-v1': it is not a sealed Darkroom envelope`);
  let offset = CONTAINER_MAGIC.length;
  const length = async (what: string, max: number) => {
    const value = Buffer.from(await exact(offset, 4, `${what} length`)).readUInt32BE();
    if (value > max) throw new BundleError('CONTAINER_MALFORMED', `${source} announces a ${what} of ${value}, over the limit of ${max}: the file is corrupt`);
    offset += 4;
    return value;
  };
  const headerLength = await length('signed header', MAX_SIGNED_HEADER_BYTES);
  const signedHeaderBytes = await exact(offset, headerLength, 'signed header');
  offset += headerLength;
  const count = await length('stanza count', MAX_STANZAS);
  const stanzas: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const stanzaLength = await length(`stanza ${i}`, MAX_SIGNED_STANZA_BYTES);
    stanzas.push(await exact(offset, stanzaLength, `stanza ${i}`));
    offset += stanzaLength;
  }
  return { signedHeaderBytes, stanzas, payloadOffset: offset };
}

/** Parses a container held in memory. */
export async function parseContainer(bytes: Uint8Array, source = 'Sealed envelope'): Promise<ContainerPrefix & { payload: Uint8Array }> {
  const prefix = await parsePrefix(async (offset, length) => bytes.subarray(offset, offset + length), source);
  return { ...prefix, payload: bytes.subarray(prefix.payloadOffset) };
}

/** Reads a container file's prefix with bounded reads; the payload stays on disk. */
export async function readContainerFile(path: string): Promise<ContainerPrefix> {
  const handle = await open(path, 'r');
  try {
    return await parsePrefix(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    }, path);
  } finally {
    await handle.close();
  }
}
