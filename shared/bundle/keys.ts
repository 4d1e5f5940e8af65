// Key derivations of format 1: the key commitment, the envelope id and the payload key.
import { KEY_BYTES, hashLabelled, type Nacl } from '../crypto/index.js';
import { BUNDLE_ID_BYTES, ENVELOPE_ID_BYTES, KEY_COMMITMENT_BYTES } from './limits.js';

/** Where the random bytes of a seal come from: the system's CSPRNG, or a fixed stream for vectors. */
export type RandomSource = (length: number) => Uint8Array;

/** H("key-commitment", K)[0:32]: binds the content key to the signed header. */
export function keyCommitment(crypto: Nacl, contentKey: Uint8Array): Uint8Array {
  return hashLabelled(crypto, 'key-commitment', contentKey).slice(0, KEY_COMMITMENT_BYTES);
}

/** H("envelope-id", header)[0:32] over the exact Header bytes. */
export function envelopeIdOf(crypto: Nacl, headerBytes: Uint8Array): Uint8Array {
  return hashLabelled(crypto, 'envelope-id', headerBytes).slice(0, ENVELOPE_ID_BYTES);
}

/** The bundle id: lower-case hex of the envelope id's first 16 bytes. */
export function bundleIdOf(envelopeId: Uint8Array): string {
  return Buffer.from(envelopeId.subarray(0, BUNDLE_ID_BYTES)).toString('hex');
}

/** H("payload-key", K, E)[0:32]: a payload opens only under the exact header it was sealed with. */
export function payloadKey(crypto: Nacl, contentKey: Uint8Array, envelopeId: Uint8Array): Uint8Array {
  return hashLabelled(crypto, 'payload-key', contentKey, envelopeId).slice(0, KEY_BYTES);
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
