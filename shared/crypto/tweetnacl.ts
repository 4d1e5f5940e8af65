// The portable NaCl implementation: tweetnacl, pure JavaScript. Slow; used to cross-check formats.
import tweetnacl from 'tweetnacl';
import type { Nacl } from './nacl.js';
import { SIGNATURE_BYTES, SIGN_PUBLIC_BYTES } from './nacl.js';

export const tweetNacl: Nacl = {
  name: 'tweetnacl',
  randomBytes: (length) => tweetnacl.randomBytes(length),
  signKeyPair: () => tweetnacl.sign.keyPair(),
  signKeyPairFromSeed: (seed) => tweetnacl.sign.keyPair.fromSeed(seed),
  signDetached: (message, secretKey) => tweetnacl.sign.detached(message, secretKey),
  verifyDetached(signature, message, publicKey) {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== SIGN_PUBLIC_BYTES) return false;
    return tweetnacl.sign.detached.verify(message, signature, publicKey);
  },
  boxKeyPair: () => tweetnacl.box.keyPair(),
  boxKeyPairFromSecret: (secretKey) => tweetnacl.box.keyPair.fromSecretKey(secretKey),
  box: (message, nonce, publicKey, secretKey) => tweetnacl.box(message, nonce, publicKey, secretKey),
  boxOpen: (sealed, nonce, publicKey, secretKey) => tweetnacl.box.open(sealed, nonce, publicKey, secretKey),
  scalarMult: (secretKey, publicKey) => tweetnacl.scalarMult(secretKey, publicKey),
  secretbox: (message, nonce, key) => tweetnacl.secretbox(message, nonce, key),
  secretboxOpen: (sealed, nonce, key) => tweetnacl.secretbox.open(sealed, nonce, key),
  sha512: (message) => tweetnacl.hash(message),
};
