// Reads a payload archive entry by entry and refuses, before any byte of an entry is handed on,
// every entry the format does not allow: wrong type, unexpected name, wrong order, extra or missing.
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { messageOf } from '../../errors.js';
import { BundleError } from '../errors.js';
import { MAX_MANIFEST_BYTES } from '../limits.js';
import { MANIFEST_NAME } from './manifest.js';
import { pathProblem } from './patch-check.js';

export interface ArchiveVisitor {
  /** Given the manifest's bytes; returns every later entry name, in the order they must come. */
  manifest(bytes: Uint8Array): string[];
  /** Consumes one listed entry's bytes. */
  entry(name: string, content: AsyncIterable<Uint8Array>, size: number): Promise<void>;
}

function refuseEntry(name: string, type: string): never {
  if (type === 'symlink' || type === 'link') {
    throw new BundleError('SYMLINK', `Archive entry '${name}' is a ${type === 'symlink' ? 'symbolic' : 'hard'} link, which could point outside the tree: the bundle is refused`);
  }
  throw new BundleError('ENTRY_TYPE', `Archive entry '${name}' is of type '${type}'; only regular files are allowed: the bundle is refused`);
}

function refuseName(name: string, expected: string | undefined, seen: Set<string>, listed: Set<string>): never {
  const problem = pathProblem(name);
  if (problem) throw new BundleError('PATH_ESCAPE', `Archive entry '${name}' ${problem}: the bundle is refused`);
  if (seen.has(name)) throw new BundleError('DUPLICATE_ENTRY', `Archive entry '${name}' appears twice: the bundle is refused`);
  if (listed.has(name)) throw new BundleError('ARCHIVE_MALFORMED', `Archive entry '${name}' is out of order (expected '${expected ?? 'the end of the archive'}'): the bundle is refused`);
  throw new BundleError('UNLISTED_ENTRY', `Archive entry '${name}' is not listed in ${MANIFEST_NAME} (expected '${expected ?? 'the end of the archive'}'): the bundle is refused`);
}

async function collect(content: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of content) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Walks `source` (a ustar stream) through `visitor`; the first refusal stops the walk. */
export async function walkArchive(source: Readable, visitor: ArchiveVisitor): Promise<void> {
  const extract = tar.extract();
  source.on('error', (error) => extract.destroy(error));
  source.pipe(extract);
  let expected: string[] | null = null;
  let index = 0;
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const content = entry as AsyncIterable<Uint8Array>;
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file') refuseEntry(name, type ?? 'unknown');
      if (expected === null) {
        if (name !== MANIFEST_NAME) throw new BundleError('ARCHIVE_MALFORMED', `Archive starts with '${name}', not ${MANIFEST_NAME}: the bundle is refused`);
        if (size > MAX_MANIFEST_BYTES) throw new BundleError('SIZE_LIMIT', `${MANIFEST_NAME} is ${size} bytes, over the limit of ${MAX_MANIFEST_BYTES}: the bundle is refused`);
        expected = visitor.manifest(await collect(content));
        seen.add(name);
        continue;
      }
      if (name !== expected[index]) refuseName(name, expected[index], seen, new Set(expected));
      seen.add(name);
      index += 1;
      await visitor.entry(name, content, size);
    }
  } catch (error) {
    source.destroy();
    if (error instanceof BundleError) throw error;
    throw new BundleError('ARCHIVE_MALFORMED', `The payload is not a valid archive: ${messageOf(error)}`, { cause: error });
  }
  if (expected === null) throw new BundleError('ARCHIVE_MALFORMED', `The archive is empty: it has no ${MANIFEST_NAME}`);
  if (index < expected.length) {
    throw new BundleError('ARCHIVE_MALFORMED', `The archive ends after ${index} of the ${expected.length} entries ${MANIFEST_NAME} lists (first missing: '${expected[index]}'): the bundle is refused`);
  }
}
