// The one error class of the sealed-envelope boundary: a stable code per way an envelope is refused.
import { DarkroomError } from '../errors.js';

export type BundleErrorCode =
  /** The inputs to a seal or rewrap call are unusable (bad name, key length, signer). */
  | 'INVALID_INPUT'
  /** A patch file given by path changed size while it was being sealed. */
  | 'INPUT_CHANGED'
  | 'CONTAINER_MALFORMED'
  | 'HEADER_MALFORMED'
  | 'HEADER_SIGNATURE'
  /** The header is of the other kind (logs where a bundle was expected, or the reverse). */
  | 'KIND_MISMATCH'
  | 'UNTRUSTED_SIGNER'
  | 'STANZA_MALFORMED'
  | 'STANZA_SIGNATURE'
  /** The stanza belongs to another envelope. */
  | 'STANZA_MISMATCH'
  /** Not an error of the envelope: the stanza is for another recipient. */
  | 'NOT_FOR_ME'
  | 'STANZA_UNWRAP'
  | 'KEY_COMMITMENT'
  | 'CHUNK_AUTH'
  | 'TRUNCATED'
  | 'TRAILING_DATA'
  | 'ARCHIVE_MALFORMED'
  | 'MANIFEST_MISMATCH'
  | 'ENTRY_TYPE'
  | 'PATH_ESCAPE'
  | 'DUPLICATE_ENTRY'
  | 'UNLISTED_ENTRY'
  | 'SYMLINK'
  | 'UNSAFE_MODE'
  | 'SIZE_LIMIT'
  | 'DESTINATION_EXISTS';

export class BundleError extends DarkroomError<BundleErrorCode> {
  /** False only for "not for me": the caller may try another stanza or identity. */
  get fatal(): boolean {
    return this.code !== 'NOT_FOR_ME';
  }
}
