// Recipient stanzas: the content key wrapped to one box key, signed by the header's signer.
import { darkroom } from '../../proto/darkroom.js';
import { BOX_PUBLIC_BYTES, KEY_BYTES, MAC_BYTES, NONCE_BYTES, SIGNATURE_BYTES, nacl, signLabelled, verifyLabelled, type Nacl } from '../crypto/index.js';
import { messageOf } from '../errors.js';
import type { Identity } from '../identity.js';
import { decodeCanonical } from './canonical.js';
import { BundleError } from './errors.js';
import type { ParsedHeader } from './header.js';
import { constantTimeEqual, keyCommitment, type RandomSource } from './keys.js';
import { ENVELOPE_ID_BYTES, MAX_SIGNED_STANZA_BYTES } from './limits.js';

export type StanzaSigner = Pick<Identity, 'signKey' | 'signSecret'>;
export type StanzaIdentity = Pick<Identity, 'boxKey' | 'boxSecret'>;

export interface ParsedStanza {
  stanza: darkroom.v1.Stanza;
  signedStanzaBytes: Uint8Array;
  /** The box key this stanza is for: how the coordinator routes it to an agent. */
  recipientBoxKey: Uint8Array;
}

export interface WrapOptions {
  crypto?: Nacl;
  /** Test vectors only: a fixed stream instead of the CSPRNG. */
  random?: RandomSource;
}

/**
 * Wraps the content key for each box key (a fresh ephemeral key and nonce each) and signs every
 * stanza. Used by the sealer and for rewrap: the header, payload and bundle id stay unchanged.
 */
export function wrapForRecipients(contentKey: Uint8Array, parsed: ParsedHeader, boxKeys: Uint8Array[], signer: StanzaSigner, options: WrapOptions = {}): Uint8Array[] {
  const crypto = options.crypto ?? nacl;
  const random = options.random ?? ((length: number) => crypto.randomBytes(length));
  if (!constantTimeEqual(signer.signKey, parsed.signerKey)) {
    throw new BundleError('INVALID_INPUT', `Cannot wrap for bundle ${parsed.bundleId}: only its signer '${parsed.header.signerName}' may add recipients, and this key is another`);
  }
  if (contentKey.length !== KEY_BYTES || !constantTimeEqual(keyCommitment(crypto, contentKey), parsed.header.keyCommitment)) {
    throw new BundleError('INVALID_INPUT', `Cannot wrap for bundle ${parsed.bundleId}: the content key given is not the one its header commits to; use the key returned when it was sealed`);
  }
  const seen = new Set<string>();
  return boxKeys.map((boxKey, index) => {
    const hex = Buffer.from(boxKey).toString('hex');
    if (boxKey.length !== BOX_PUBLIC_BYTES) throw new BundleError('INVALID_INPUT', `Cannot wrap: recipient ${index} has a box key of ${boxKey.length} bytes, want ${BOX_PUBLIC_BYTES}`);
    if (seen.has(hex)) throw new BundleError('INVALID_INPUT', `Cannot wrap: recipient ${index} repeats box key ${hex}`);
    seen.add(hex);
    const ephemeral = crypto.boxKeyPairFromSecret(random(KEY_BYTES));
    const nonce = random(NONCE_BYTES);
    const stanzaBytes = darkroom.v1.Stanza.encode({
      envelopeId: parsed.envelopeId,
      recipientBoxKey: boxKey,
      ephemeralKey: ephemeral.publicKey,
      nonce,
      wrappedKey: crypto.box(contentKey, nonce, boxKey, ephemeral.secretKey),
    }).finish();
    const signature = signLabelled(crypto, 'bundle-stanza', stanzaBytes, signer.signSecret);
    return darkroom.v1.SignedStanza.encode({ stanza: stanzaBytes, signature }).finish();
  });
}

/** Checks a stanza's encoding, signature (by the header's signer) and envelope; no secret needed. */
export function readStanza(signedStanzaBytes: Uint8Array, parsed: ParsedHeader, options: { crypto?: Nacl } = {}): ParsedStanza {
  const crypto = options.crypto ?? nacl;
  if (signedStanzaBytes.length > MAX_SIGNED_STANZA_BYTES) {
    throw new BundleError('STANZA_MALFORMED', `Stanza is ${signedStanzaBytes.length} bytes, over the limit of ${MAX_SIGNED_STANZA_BYTES}: refusing to parse it`);
  }
  const signed = decodeCanonical(darkroom.v1.SignedStanza, signedStanzaBytes, 'Signed stanza', 'STANZA_MALFORMED');
  const stanza = decodeCanonical(darkroom.v1.Stanza, signed.stanza, 'Stanza', 'STANZA_MALFORMED');
  const lengths: [string, number, number][] = [
    ['envelope id', stanza.envelopeId.length, ENVELOPE_ID_BYTES],
    ['recipient key', stanza.recipientBoxKey.length, BOX_PUBLIC_BYTES],
    ['ephemeral key', stanza.ephemeralKey.length, BOX_PUBLIC_BYTES],
    ['nonce', stanza.nonce.length, NONCE_BYTES],
    ['wrapped key', stanza.wrappedKey.length, KEY_BYTES + MAC_BYTES],
    ['signature', signed.signature.length, SIGNATURE_BYTES],
  ];
  for (const [what, actual, want] of lengths) {
    if (actual !== want) throw new BundleError('STANZA_MALFORMED', `Stanza ${what} is ${actual} bytes, want ${want}: the stanza is corrupt`);
  }
  if (!verifyLabelled(crypto, 'bundle-stanza', signed.stanza, signed.signature, parsed.signerKey)) {
    throw new BundleError('STANZA_SIGNATURE', `Stanza signature does not verify for signer '${parsed.header.signerName}' of bundle ${parsed.bundleId}: the stanza was forged or altered`);
  }
  if (!constantTimeEqual(stanza.envelopeId, parsed.envelopeId)) {
    throw new BundleError('STANZA_MISMATCH', `Stanza belongs to envelope ${Buffer.from(stanza.envelopeId.subarray(0, 16)).toString('hex')}, not to bundle ${parsed.bundleId}: it was moved from another envelope`);
  }
  return { stanza, signedStanzaBytes, recipientBoxKey: stanza.recipientBoxKey };
}

/** Recovers the content key from a stanza for `identity`; NOT_FOR_ME (non-fatal) if for another key. */
export function unwrapStanza(signedStanzaBytes: Uint8Array, parsed: ParsedHeader, identity: StanzaIdentity, options: { crypto?: Nacl } = {}): Uint8Array {
  const crypto = options.crypto ?? nacl;
  const { stanza } = readStanza(signedStanzaBytes, parsed, { crypto });
  if (!constantTimeEqual(stanza.recipientBoxKey, identity.boxKey)) {
    throw new BundleError('NOT_FOR_ME', `Bundle ${parsed.bundleId} stanza is sealed to box key ${Buffer.from(stanza.recipientBoxKey).toString('hex').slice(0, 16)}…, not to this identity: it was delivered to the wrong party`);
  }
  let contentKey: Uint8Array | null;
  try {
    contentKey = crypto.boxOpen(stanza.wrappedKey, stanza.nonce, stanza.ephemeralKey, identity.boxSecret);
  } catch (cause) {
    throw new BundleError('STANZA_UNWRAP', `Stanza of bundle ${parsed.bundleId} does not open: ${messageOf(cause)}`, { cause });
  }
  if (!contentKey) throw new BundleError('STANZA_UNWRAP', `Stanza of bundle ${parsed.bundleId} names this identity but its wrapped key does not open: the stanza is corrupt`);
  if (!constantTimeEqual(keyCommitment(crypto, contentKey), parsed.header.keyCommitment)) {
    throw new BundleError('KEY_COMMITMENT', `Content key of bundle ${parsed.bundleId} does not match the key commitment in its signed header: the stanza was made for another envelope's key`);
  }
  return contentKey;
}

/** Tries each stanza; the first that is for `identity` gives the key. NOT_FOR_ME if none is. */
export function unwrapAny(signedStanzas: Uint8Array[], parsed: ParsedHeader, identity: StanzaIdentity, options: { crypto?: Nacl } = {}): Uint8Array {
  for (const signedStanzaBytes of signedStanzas) {
    try {
      return unwrapStanza(signedStanzaBytes, parsed, identity, options);
    } catch (error) {
      if (!(error instanceof BundleError) || error.fatal) throw error;
    }
  }
  throw new BundleError('NOT_FOR_ME', `None of the ${signedStanzas.length} stanzas of envelope ${parsed.bundleId} is sealed to this identity: it was not addressed to you`);
}
