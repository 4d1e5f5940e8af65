// A party's identity: an Ed25519 signing key and an X25519 box key, made and kept on its own machine.
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarkroomError } from './errors.js';
import { BOX_SECRET_BYTES, SIGN_SECRET_BYTES, hashLabelled, nacl, type Nacl } from './crypto/index.js';

export type IdentityErrorCode = 'KEY_FILE_MISSING' | 'KEY_FILE_INSECURE' | 'KEY_FILE_MALFORMED' | 'KEY_FILE_EXISTS' | 'FINGERPRINT_MALFORMED';

export class IdentityError extends DarkroomError<IdentityErrorCode> {}

export interface PublicIdentity {
  signKey: Uint8Array;
  boxKey: Uint8Array;
}

export interface Identity extends PublicIdentity {
  signSecret: Uint8Array;
  boxSecret: Uint8Array;
}

export const KEY_FILE_NAME = 'identity.key';
const KEY_FILE_FORMAT = 'darkroom-identity-v1';
const FINGERPRINT_PREFIX = 'DR1';
const FINGERPRINT_BYTES = 20;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Makes a fresh identity from the system's random source. */
export function generateIdentity(crypto: Nacl = nacl): Identity {
  const sign = crypto.signKeyPair();
  const box = crypto.boxKeyPair();
  return { signKey: sign.publicKey, signSecret: sign.secretKey, boxKey: box.publicKey, boxSecret: box.secretKey };
}

/** Rebuilds an identity from its two secrets (the public halves are derived). */
export function identityFromSecrets(signSecret: Uint8Array, boxSecret: Uint8Array, crypto: Nacl = nacl): Identity {
  if (signSecret.length !== SIGN_SECRET_BYTES || boxSecret.length !== BOX_SECRET_BYTES) {
    throw new IdentityError('KEY_FILE_MALFORMED', `Key material has the wrong length: signing ${signSecret.length} bytes (want ${SIGN_SECRET_BYTES}), box ${boxSecret.length} bytes (want ${BOX_SECRET_BYTES})`);
  }
  const sign = crypto.signKeyPairFromSeed(signSecret.subarray(0, 32));
  const box = crypto.boxKeyPairFromSecret(boxSecret);
  return { signKey: sign.publicKey, signSecret: sign.secretKey, boxKey: box.publicKey, boxSecret: box.secretKey };
}

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * A short, human-comparable name for a pair of public keys, e.g.
 * `DR1:M5QX-2KDA-…` (160 bits in eight groups). It covers both keys, so a box key cannot be
 * swapped under a pinned signing key.
 */
export function fingerprint(identity: PublicIdentity, crypto: Nacl = nacl): string {
  const digest = hashLabelled(crypto, 'fingerprint', identity.signKey, identity.boxKey).subarray(0, FINGERPRINT_BYTES);
  const groups = base32(digest).match(/.{4}/g) ?? [];
  return `${FINGERPRINT_PREFIX}:${groups.join('-')}`;
}

/** Canonical form of a fingerprint a person typed: case and dashes do not matter. */
export function normalizeFingerprint(input: string): string {
  const compact = input.trim().toUpperCase().replace(/^DR1:/, '').replace(/[-\s]/g, '');
  if (!/^[A-Z2-7]{32}$/.test(compact)) {
    throw new IdentityError('FINGERPRINT_MALFORMED', `Fingerprint '${input}' is not of the form DR1:XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX: copy it from 'darkroom coordinator init' or 'status'`);
  }
  return `${FINGERPRINT_PREFIX}:${compact.match(/.{4}/g)!.join('-')}`;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Writes the identity's secrets to DIR/identity.key, mode 0600, atomically; refuses to overwrite
 * an existing key (a lost key means re-enrolling, an overwritten one means a silent lock-out).
 */
export async function writeIdentity(dir: string, identity: Identity): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, KEY_FILE_NAME);
  const exists = await stat(path).then(() => true, () => false);
  if (exists) throw new IdentityError('KEY_FILE_EXISTS', `A key already exists at ${path}: keep it, or move it away to make a new identity`);
  const temp = `${path}.${process.pid}.tmp`;
  const body = JSON.stringify({ format: KEY_FILE_FORMAT, sign_secret: b64(identity.signSecret), box_secret: b64(identity.boxSecret) }) + '\n';
  const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dirname(path), 'r');
  await dirHandle.sync().finally(() => dirHandle.close());
  return path;
}

/** Reads DIR/identity.key; refuses a file that other users could read or that another user owns. */
export async function readIdentity(dir: string, crypto: Nacl = nacl): Promise<Identity> {
  const path = join(dir, KEY_FILE_NAME);
  const info = await stat(path).catch(() => null);
  if (!info) throw new IdentityError('KEY_FILE_MISSING', `No key at ${path}: run the matching 'init' or 'enroll' command first`);
  if ((info.mode & 0o077) !== 0) {
    throw new IdentityError('KEY_FILE_INSECURE', `Key file ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): run 'chmod 600 ${path}' and check nobody copied it`);
  }
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new IdentityError('KEY_FILE_INSECURE', `Key file ${path} belongs to uid ${info.uid}, not to this user (uid ${process.getuid()}): run Darkroom as the key's owner`);
  }
  let parsed: { format?: unknown; sign_secret?: unknown; box_secret?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new IdentityError('KEY_FILE_MALFORMED', `Key file ${path} is not valid JSON: restore it from your backup`, { cause });
  }
  if (parsed.format !== KEY_FILE_FORMAT || typeof parsed.sign_secret !== 'string' || typeof parsed.box_secret !== 'string') {
    throw new IdentityError('KEY_FILE_MALFORMED', `Key file ${path} is not a ${KEY_FILE_FORMAT} file: restore it from your backup`);
  }
  return identityFromSecrets(Buffer.from(parsed.sign_secret, 'base64'), Buffer.from(parsed.box_secret, 'base64'), crypto);
}

export const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
