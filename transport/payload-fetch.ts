// Pulls a bundle's ciphertext from the coordinator in chunks into a file, resuming where a cut
// connection left it (an agent's job, a maintainer's fetch). Only ciphertext is written here.
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WireError } from '../shared/wire/errors.js';
import type { Channel } from './channel.js';

export const FETCH_CHUNK_BYTES = 1024 * 1024;

export interface FetchPayloadOptions {
  bundleId: string;
  /** Ciphertext length the offer announced. */
  size: number;
  /** Final path; `<path>.part` holds a partial download. */
  path: string;
  chunkBytes?: number;
}

export async function fetchPayload(channel: Pick<Channel, 'request'>, options: FetchPayloadOptions): Promise<string> {
  const done = await stat(options.path).then((s) => s.size === options.size, () => false);
  if (done) return options.path;
  await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  const part = `${options.path}.part`;
  const handle = await open(part, 'a+', 0o600);
  try {
    let offset = (await handle.stat()).size;
    if (offset > options.size) {
      await handle.truncate(0);
      offset = 0;
    }
    while (offset < options.size) {
      const reply = await channel.request({ bundleRequest: { bundleId: options.bundleId, offset, maxBytes: options.chunkBytes ?? FETCH_CHUNK_BYTES } });
      const chunk = reply.bundleChunk;
      if (!chunk || chunk.bundleId !== options.bundleId || Number(chunk.offset) !== offset || !chunk.data?.length) {
        throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a request for bundle ${options.bundleId} at offset ${offset} with something else`);
      }
      if (offset + chunk.data.length > options.size) {
        throw new WireError('BAD_REQUEST', `Bundle ${options.bundleId} is longer than the ${options.size} bytes its offer announced`);
      }
      await handle.write(chunk.data, 0, chunk.data.length, offset);
      offset += chunk.data.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(part, options.path);
  return options.path;
}
