// A sealed session: each direction has its own key and a counter nonce, so a frame that was
// altered, replayed, reordered or dropped fails to open.
import { NONCE_BYTES, type Nacl } from '../crypto/index.js';
import { WireError } from './errors.js';

export interface SessionKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
}

function counterNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(NONCE_BYTES - 8, BigInt(counter));
  return nonce;
}

export class SessionCipher {
  readonly #nacl: Nacl;
  readonly #keys: SessionKeys;
  #sent = 0;
  #received = 0;

  constructor(nacl: Nacl, keys: SessionKeys) {
    this.#nacl = nacl;
    this.#keys = keys;
  }

  seal(plaintext: Uint8Array): Uint8Array {
    return this.#nacl.secretbox(plaintext, counterNonce(this.#sent++), this.#keys.sendKey);
  }

  open(sealed: Uint8Array): Uint8Array {
    const plaintext = this.#nacl.secretboxOpen(sealed, counterNonce(this.#received), this.#keys.receiveKey);
    if (!plaintext) {
      throw new WireError('SESSION_BROKEN', `Sealed frame ${this.#received} failed authentication: it was altered, replayed or reordered in transit; reconnect`);
    }
    this.#received++;
    return plaintext;
  }
}
