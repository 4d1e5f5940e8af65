// The NaCl primitives Darkroom uses, behind one interface with two implementations.
//
// Every format is plain NaCl (Ed25519, X25519 + XSalsa20-Poly1305 box, XSalsa20-Poly1305
// secretbox, SHA-512), so the portable tweetnacl implementation can open and verify everything the
// fast libsodium one produces and the reverse; tests check both directions.

export const SIGN_PUBLIC_BYTES = 32;
export const SIGN_SECRET_BYTES = 64;
export const SIGNATURE_BYTES = 64;
export const BOX_PUBLIC_BYTES = 32;
export const BOX_SECRET_BYTES = 32;
export const NONCE_BYTES = 24;
export const KEY_BYTES = 32;
export const MAC_BYTES = 16;

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface Nacl {
  readonly name: 'libsodium' | 'tweetnacl';
  randomBytes(length: number): Uint8Array;
  signKeyPair(): KeyPair;
  /** The Ed25519 key pair of a 32-byte seed (test vectors). */
  signKeyPairFromSeed(seed: Uint8Array): KeyPair;
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  boxKeyPair(): KeyPair;
  boxKeyPairFromSecret(secretKey: Uint8Array): KeyPair;
  /** crypto_box: X25519 + XSalsa20-Poly1305 (MAC first, as NaCl's easy form). */
  box(message: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  boxOpen(sealed: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | null;
  /** Raw X25519 (crypto_scalarmult). */
  scalarMult(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  secretbox(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  secretboxOpen(sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  sha512(message: Uint8Array): Uint8Array;
}
