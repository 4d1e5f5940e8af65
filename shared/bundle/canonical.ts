// Strict protobuf decoding: a message is accepted only in the one encoding it re-serialises to.
import { messageOf } from '../errors.js';
import { BundleError, type BundleErrorCode } from './errors.js';

interface Codec<T> {
  decode(bytes: Uint8Array): T;
  encode(message: NoInfer<T>): { finish(): Uint8Array };
}

/**
 * Decodes `bytes` as `codec` and refuses them unless encoding the result gives the same bytes:
 * no unknown fields, no default values written, fields in order and once, minimal varints.
 */
export function decodeCanonical<T>(codec: Codec<T>, bytes: Uint8Array, what: string, code: BundleErrorCode): T {
  let message: T;
  try {
    message = codec.decode(bytes);
  } catch (cause) {
    throw new BundleError(code, `${what} of ${bytes.length} bytes does not decode: ${messageOf(cause)}; the envelope is corrupt, fetch or export it again`, { cause });
  }
  if (!Buffer.from(codec.encode(message).finish()).equals(bytes)) {
    throw new BundleError(code, `${what} of ${bytes.length} bytes is not in canonical encoding (unknown, repeated, reordered or default-valued fields): the sealer is broken or the bytes were altered`);
  }
  return message;
}
