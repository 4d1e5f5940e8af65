// One slice of a bundle's payload ciphertext, as a BundleChunk: for agents running its jobs and
// for maintainers it was sealed to (the caller decides who may have it).
import { open } from 'node:fs/promises';
import type { darkroom } from '../../proto/darkroom.js';
import { WireError } from '../../shared/wire/errors.js';
import { payloadPath } from '../store/bundles.js';
import type { Store } from '../store/store.js';

/** The most payload bytes one BundleChunk carries (under the 4 MiB frame limit). */
export const MAX_BUNDLE_CHUNK_BYTES = 1024 * 1024;

export async function payloadChunk(store: Store, request: darkroom.v1.BundleRequest.$Properties): Promise<darkroom.v1.BundleChunk.$Properties> {
  const bundleId = request.bundleId ?? '';
  const bundle = store.bundles.require(bundleId);
  // The stored size is the ciphertext's: what the offer announced and the upload delivered.
  const size = bundle.payloadBytes;
  const offset = Number(request.offset ?? 0);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= size) throw new WireError('BAD_REQUEST', `Offset ${offset} is outside bundle ${bundleId}'s ${size} bytes`);
  const length = Math.min(size - offset, Math.max(1, Math.min(request.maxBytes || MAX_BUNDLE_CHUNK_BYTES, MAX_BUNDLE_CHUNK_BYTES)));
  const handle = await open(payloadPath(store.dataDir, bundleId), 'r');
  try {
    const data = Buffer.alloc(length);
    const { bytesRead } = await handle.read(data, 0, length, offset);
    return { bundleId, offset, data: data.subarray(0, bytesRead), last: offset + bytesRead >= size };
  } finally {
    await handle.close();
  }
}
