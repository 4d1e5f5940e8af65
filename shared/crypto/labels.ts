// Domain separation: every signature and every derived key covers one of these labels, so bytes
// signed or hashed for one purpose can never be accepted for another.
import type { Nacl } from './nacl.js';

/** Each purpose a signature or hash serves. Adding one is safe; renaming one breaks the wire. */
export type Label =
  | 'handshake-server'
  | 'handshake-client'
  | 'handshake-box'
  | 'session-keys'
  | 'result'
  | 'result-id'
  | 'recipients'
  | 'approvals'
  | 'bundle-header'
  | 'bundle-stanza'
  | 'envelope-id'
  | 'payload-key'
  | 'key-commitment'
  | 'fingerprint'
  | 'token'
  | 'audit';

const encoder = new TextEncoder();
const prefixes = new Map<Label, Uint8Array>();

/** "darkroom/v1/<label>" followed by a NUL byte: no label is a prefix of another's bytes. */
export function labelPrefix(label: Label): Uint8Array {
  let prefix = prefixes.get(label);
  if (!prefix) {
    prefix = encoder.encode(`darkroom/v1/${label}\0`);
    prefixes.set(label, prefix);
  }
  return prefix;
}

/** The label's prefix followed by each part, as one buffer. */
export function labelled(label: Label, ...parts: Uint8Array[]): Uint8Array {
  const prefix = labelPrefix(label);
  let length = prefix.length;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  out.set(prefix, 0);
  let offset = prefix.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function signLabelled(nacl: Nacl, label: Label, message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return nacl.signDetached(labelled(label, message), secretKey);
}

export function verifyLabelled(nacl: Nacl, label: Label, message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return nacl.verifyDetached(signature, labelled(label, message), publicKey);
}

/** SHA-512 over the label and the parts. */
export function hashLabelled(nacl: Nacl, label: Label, ...parts: Uint8Array[]): Uint8Array {
  return nacl.sha512(labelled(label, ...parts));
}
