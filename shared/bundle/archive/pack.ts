// Writes a payload archive (ustar, via tar-stream) as a stream, and predicts its exact size so the
// header can declare the payload length before a byte of it is sealed.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { messageOf } from '../../errors.js';
import { BundleError } from '../errors.js';
import { PatchScanner } from './patch-check.js';

const BLOCK = 512;
const END_OF_ARCHIVE = 2 * BLOCK;
/** Fixed so that sealing the same series twice gives the same plaintext. */
const ENTRY_MTIME = new Date(0);
const ENTRY_MODE = 0o644;

export interface ArchiveEntry {
  name: string;
  size: number;
  /** The bytes, or a file read when the entry is written (bounded memory for large series). */
  content: Uint8Array | { path: string };
  /** Run the patch checks on the content as it is written, so the sealer refuses what agents would. */
  checkPatch?: boolean;
}

/** Exact byte length of the ustar archive of these entries (names fit ustar, so no extension headers). */
export function archiveSize(entries: Pick<ArchiveEntry, 'size'>[]): number {
  let total = END_OF_ARCHIVE;
  for (const entry of entries) total += BLOCK + Math.ceil(entry.size / BLOCK) * BLOCK;
  return total;
}

async function writeEntry(pack: tar.Pack, entry: ArchiveEntry): Promise<void> {
  const sink = pack.entry({ name: entry.name, size: entry.size, mode: ENTRY_MODE, mtime: ENTRY_MTIME, type: 'file', uid: 0, gid: 0 });
  // A failed entry destroys the whole pack, whose consumer sees the error; the entry's copy of it
  // must not surface again as an uncaught exception.
  sink.on('error', () => undefined);
  const scanner = entry.checkPatch ? new PatchScanner(entry.name) : null;
  const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = entry.content instanceof Uint8Array ? [entry.content] : createReadStream(entry.content.path);
  for await (const chunk of chunks) {
    scanner?.push(chunk);
    if (!sink.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) await once(sink, 'drain');
  }
  scanner?.end();
  // tar-stream's entries are streamx writables: the next entry may start once this one closed.
  const closed = once(sink, 'close');
  sink.end(() => undefined);
  await closed;
}

/** The archive as a stream; entries are read one after the other, as the consumer pulls. */
export function packArchive(entries: ArchiveEntry[]): Readable {
  const pack = tar.pack();
  const produce = async () => {
    for (const entry of entries) {
      try {
        await writeEntry(pack, entry);
      } catch (cause) {
        if (cause instanceof BundleError) throw cause;
        throw new BundleError('INPUT_CHANGED', `Cannot seal ${entry.name}: ${messageOf(cause)}; check the file is readable and not being changed`, { cause });
      }
    }
    pack.finalize();
  };
  produce().catch((error: unknown) => pack.destroy(error as Error));
  return Readable.from(pack);
}
