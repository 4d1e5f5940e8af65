// The fast NaCl implementation: libsodium through sodium-native.
import { createRequire } from 'node:module';
import type { KeyPair, Nacl } from './nacl.js';
import { BOX_PUBLIC_BYTES, BOX_SECRET_BYTES, MAC_BYTES, SIGNATURE_BYTES, SIGN_PUBLIC_BYTES, SIGN_SECRET_BYTES } from './nacl.js';

interface SodiumNative {
  randombytes_buf(out: Uint8Array): void;
  crypto_sign_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  crypto_box_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_box_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): void;
  crypto_box_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean;
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  crypto_hash_sha512(out: Uint8Array, m: Uint8Array): void;
}

const sodium = createRequire(import.meta.url)('sodium-native') as SodiumNative;

function pair(publicBytes: number, secretBytes: number, fill: (pk: Uint8Array, sk: Uint8Array) => void): KeyPair {
  const publicKey = new Uint8Array(publicBytes);
  const secretKey = new Uint8Array(secretBytes);
  fill(publicKey, secretKey);
  return { publicKey, secretKey };
}

export const sodiumNacl: Nacl = {
  name: 'libsodium',
  randomBytes(length) {
    const out = new Uint8Array(length);
    sodium.randombytes_buf(out);
    return out;
  },
  signKeyPair: () => pair(SIGN_PUBLIC_BYTES, SIGN_SECRET_BYTES, (pk, sk) => sodium.crypto_sign_keypair(pk, sk)),
  signKeyPairFromSeed: (seed) => pair(SIGN_PUBLIC_BYTES, SIGN_SECRET_BYTES, (pk, sk) => sodium.crypto_sign_seed_keypair(pk, sk, seed)),
  signDetached(message, secretKey) {
    const signature = new Uint8Array(SIGNATURE_BYTES);
    sodium.crypto_sign_detached(signature, message, secretKey);
    return signature;
  },
  verifyDetached(signature, message, publicKey) {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== SIGN_PUBLIC_BYTES) return false;
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  },
  boxKeyPair: () => pair(BOX_PUBLIC_BYTES, BOX_SECRET_BYTES, (pk, sk) => sodium.crypto_box_keypair(pk, sk)),
  boxKeyPairFromSecret(secretKey) {
    const publicKey = new Uint8Array(BOX_PUBLIC_BYTES);
    sodium.crypto_scalarmult_base(publicKey, secretKey);
    return { publicKey, secretKey: Uint8Array.from(secretKey) };
  },
  box(message, nonce, publicKey, secretKey) {
    const out = new Uint8Array(message.length + MAC_BYTES);
    sodium.crypto_box_easy(out, message, nonce, publicKey, secretKey);
    return out;
  },
  boxOpen(sealed, nonce, publicKey, secretKey) {
    if (sealed.length < MAC_BYTES) return null;
    const out = new Uint8Array(sealed.length - MAC_BYTES);
    return sodium.crypto_box_open_easy(out, sealed, nonce, publicKey, secretKey) ? out : null;
  },
  scalarMult(secretKey, publicKey) {
    const out = new Uint8Array(BOX_PUBLIC_BYTES);
    sodium.crypto_scalarmult(out, secretKey, publicKey);
    return out;
  },
  secretbox(message, nonce, key) {
    const out = new Uint8Array(message.length + MAC_BYTES);
    sodium.crypto_secretbox_easy(out, message, nonce, key);
    return out;
  },
  secretboxOpen(sealed, nonce, key) {
    if (sealed.length < MAC_BYTES) return null;
    const out = new Uint8Array(sealed.length - MAC_BYTES);
    return sodium.crypto_secretbox_open_easy(out, sealed, nonce, key) ? out : null;
  },
  sha512(message) {
    const out = new Uint8Array(64);
    sodium.crypto_hash_sha512(out, message);
    return out;
  },
};
