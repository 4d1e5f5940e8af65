// The mutual-authentication handshake, as pure state machines for each side (no sockets here).
//
//   client → Hello{role, purpose, sign_key, box_key, ephemeral_key, nonce}
//   server → Challenge{server keys, ephemeral_key, nonce, sig_S("handshake-server" ‖ T)}
//   client → Proof{sig_C("handshake-client" ‖ T), box_proof}
// T = SHA-512(hello frame bytes ‖ server_sign_key ‖ server_box_key ‖ ephemeral_key ‖ nonce).
// box_proof = SHA-512("handshake-box" ‖ X25519(box_c, eph_s) ‖ T)[0:32]: the client holds both keys
// its fingerprint covers, so nobody enrols or connects under another party's box key.
// Session keys = SHA-512("session-keys" ‖ X25519(eph_c, eph_s) ‖ T): first half client→server,
// second half server→client. A fresh server nonce and ephemeral key make a recorded proof useless.
import { timingSafeEqual } from 'node:crypto';
import { darkroom } from '../../proto/darkroom.js';
import { BOX_PUBLIC_BYTES, SIGNATURE_BYTES, SIGN_PUBLIC_BYTES, hashLabelled, signLabelled, verifyLabelled, type KeyPair, type Nacl } from '../crypto/index.js';
import { fingerprint, type Identity, type PublicIdentity } from '../identity.js';
import { WireError } from './errors.js';
import { decodeFrame, encodeFrame, MAX_HANDSHAKE_FRAME_BYTES } from './frame.js';
import { SessionCipher } from './session.js';

const NONCE_BYTES = 32;
const BOX_PROOF_BYTES = 32;

export interface Peer {
  role: darkroom.v1.Role;
  purpose: darkroom.v1.Purpose;
  signKey: Uint8Array;
  boxKey: Uint8Array;
  fingerprint: string;
  software: string;
}

function transcript(nacl: Nacl, helloBytes: Uint8Array, challenge: darkroom.v1.Challenge.$Properties): Uint8Array {
  return nacl.sha512(concat(helloBytes, challenge.serverSignKey!, challenge.serverBoxKey!, challenge.ephemeralKey!, challenge.nonce!));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** X25519 of one side's secret and the other's public key; an all-zero result is refused. */
function agree(nacl: Nacl, secretKey: Uint8Array, publicKey: Uint8Array, what: string): Uint8Array {
  const shared = nacl.scalarMult(secretKey, publicKey);
  if (shared.every((b) => b === 0)) throw new WireError('HANDSHAKE_FAILED', `Peer sent a degenerate ${what}: refusing the connection`);
  return shared;
}

/** What only a holder of the client's box secret (or of the server's ephemeral secret) can compute. */
function boxProof(nacl: Nacl, shared: Uint8Array, t: Uint8Array): Uint8Array {
  return hashLabelled(nacl, 'handshake-box', shared, t).subarray(0, BOX_PROOF_BYTES);
}

function sessionKeys(nacl: Nacl, ephemeral: KeyPair, peerEphemeral: Uint8Array, t: Uint8Array, side: 'client' | 'server'): SessionCipher {
  const shared = agree(nacl, ephemeral.secretKey, peerEphemeral, 'ephemeral key');
  const keys = hashLabelled(nacl, 'session-keys', shared, t);
  const clientToServer = keys.slice(0, 32);
  const serverToClient = keys.slice(32, 64);
  return new SessionCipher(nacl, side === 'client'
    ? { sendKey: clientToServer, receiveKey: serverToClient }
    : { sendKey: serverToClient, receiveKey: clientToServer });
}

function expectLength(what: string, bytes: Uint8Array | null | undefined, length: number): Uint8Array {
  if (!bytes || bytes.length !== length) {
    throw new WireError('HANDSHAKE_FAILED', `Handshake field ${what} must be ${length} bytes, got ${bytes?.length ?? 0}`);
  }
  return bytes;
}

function refusalFrom(frame: darkroom.v1.Frame): never {
  if (frame.error) throw WireError.fromProto(frame.error);
  throw new WireError('UNEXPECTED_MESSAGE', `Expected a handshake message, got '${frame.kind}'`);
}

export interface ClientHandshakeOptions {
  nacl: Nacl;
  identity: Identity;
  role: darkroom.v1.Role;
  purpose: darkroom.v1.Purpose;
  /** The coordinator's fingerprint the client pinned; the handshake fails on any other. */
  pinnedFingerprint: string;
  software: string;
}

/** The client's side: `hello()`, then `challenge(bytes)` gives the proof frame and the session. */
export class ClientHandshake {
  readonly #options: ClientHandshakeOptions;
  readonly #ephemeral: KeyPair;
  #helloBytes: Uint8Array | null = null;

  constructor(options: ClientHandshakeOptions) {
    this.#options = options;
    this.#ephemeral = options.nacl.boxKeyPair();
  }

  hello(): Uint8Array {
    const { identity, role, purpose, software, nacl } = this.#options;
    this.#helloBytes = encodeFrame({
      hello: { role, purpose, signKey: identity.signKey, boxKey: identity.boxKey, ephemeralKey: this.#ephemeral.publicKey, nonce: nacl.randomBytes(NONCE_BYTES), software },
    });
    return this.#helloBytes;
  }

  challenge(bytes: Uint8Array): { proof: Uint8Array; cipher: SessionCipher; serverTimeMs: number; server: PublicIdentity } {
    if (!this.#helloBytes) throw new Error('hello() must be called before challenge()');
    const { nacl, identity, pinnedFingerprint } = this.#options;
    const frame = decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES);
    if (!frame.challenge) refusalFrom(frame);
    const challenge = frame.challenge;
    const serverSignKey = expectLength('server_sign_key', challenge.serverSignKey, SIGN_PUBLIC_BYTES);
    const serverBoxKey = expectLength('server_box_key', challenge.serverBoxKey, BOX_PUBLIC_BYTES);
    const serverEphemeral = expectLength('ephemeral_key', challenge.ephemeralKey, BOX_PUBLIC_BYTES);
    expectLength('nonce', challenge.nonce, NONCE_BYTES);
    expectLength('signature', challenge.signature, SIGNATURE_BYTES);
    const seen = fingerprint({ signKey: serverSignKey, boxKey: serverBoxKey }, nacl);
    if (seen !== pinnedFingerprint) {
      throw new WireError('HANDSHAKE_FAILED', `Coordinator presented key ${seen}, but ${pinnedFingerprint} is pinned: this may be an impostor; check the URL and the fingerprint with the coordinator's operator`);
    }
    const t = transcript(nacl, this.#helloBytes, challenge);
    if (!verifyLabelled(nacl, 'handshake-server', t, challenge.signature!, serverSignKey)) {
      throw new WireError('HANDSHAKE_FAILED', 'Coordinator did not prove possession of its pinned key: refusing the connection');
    }
    const signature = signLabelled(nacl, 'handshake-client', t, identity.signSecret);
    const proof = encodeFrame({ proof: { signature, boxProof: boxProof(nacl, agree(nacl, identity.boxSecret, serverEphemeral, 'ephemeral key'), t) } });
    const server = { signKey: serverSignKey, boxKey: serverBoxKey };
    return { proof, cipher: sessionKeys(nacl, this.#ephemeral, serverEphemeral, t, 'client'), serverTimeMs: Number(challenge.serverTimeMs), server };
  }
}

/** The server's side: `hello(bytes)` gives the challenge frame, `proof(bytes)` the verified peer. */
export class ServerHandshake {
  readonly #nacl: Nacl;
  readonly #identity: Identity;
  readonly #ephemeral: KeyPair;
  #hello: { bytes: Uint8Array; message: darkroom.v1.Hello; challenge: darkroom.v1.Challenge.$Properties } | null = null;

  constructor(nacl: Nacl, identity: Identity) {
    this.#nacl = nacl;
    this.#identity = identity;
    this.#ephemeral = nacl.boxKeyPair();
  }

  hello(bytes: Uint8Array, now = Date.now()): Uint8Array {
    const frame = decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES);
    if (!frame.hello) throw new WireError('UNEXPECTED_MESSAGE', `Expected Hello as the first frame, got '${frame.kind}'`);
    const hello = frame.hello as darkroom.v1.Hello;
    expectLength('sign_key', hello.signKey, SIGN_PUBLIC_BYTES);
    expectLength('box_key', hello.boxKey, BOX_PUBLIC_BYTES);
    expectLength('ephemeral_key', hello.ephemeralKey, BOX_PUBLIC_BYTES);
    expectLength('nonce', hello.nonce, NONCE_BYTES);
    if (hello.role !== darkroom.v1.Role.ROLE_AGENT && hello.role !== darkroom.v1.Role.ROLE_MAINTAINER) {
      throw new WireError('BAD_REQUEST', `Hello names no known role (${hello.role})`);
    }
    if (hello.purpose !== darkroom.v1.Purpose.PURPOSE_CONNECT && hello.purpose !== darkroom.v1.Purpose.PURPOSE_ENROLL) {
      throw new WireError('BAD_REQUEST', `Hello names no known purpose (${hello.purpose})`);
    }
    const challenge: darkroom.v1.Challenge.$Properties = {
      serverSignKey: this.#identity.signKey,
      serverBoxKey: this.#identity.boxKey,
      ephemeralKey: this.#ephemeral.publicKey,
      nonce: this.#nacl.randomBytes(NONCE_BYTES),
      serverTimeMs: now,
    };
    challenge.signature = signLabelled(this.#nacl, 'handshake-server', transcript(this.#nacl, bytes, challenge), this.#identity.signSecret);
    this.#hello = { bytes, message: hello, challenge };
    return encodeFrame({ challenge });
  }

  proof(bytes: Uint8Array): { peer: Peer; cipher: SessionCipher } {
    if (!this.#hello) throw new WireError('UNEXPECTED_MESSAGE', 'Proof arrived before Hello');
    const frame = decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES);
    if (!frame.proof) throw new WireError('UNEXPECTED_MESSAGE', `Expected Proof, got '${frame.kind}'`);
    const { message: hello, challenge } = this.#hello;
    const signature = expectLength('signature', frame.proof.signature, SIGNATURE_BYTES);
    const t = transcript(this.#nacl, this.#hello.bytes, challenge);
    if (!verifyLabelled(this.#nacl, 'handshake-client', t, signature, hello.signKey)) {
      throw new WireError('HANDSHAKE_FAILED', 'Client did not prove possession of the signing key it presented: refusing the connection');
    }
    const presented = expectLength('box_proof', frame.proof.boxProof, BOX_PROOF_BYTES);
    const expectedProof = boxProof(this.#nacl, agree(this.#nacl, this.#ephemeral.secretKey, hello.boxKey, 'box key'), t);
    if (!timingSafeEqual(presented, expectedProof)) {
      throw new WireError('HANDSHAKE_FAILED', 'Client did not prove possession of the box key it presented: refusing the connection; each party enrols with keys it made itself');
    }
    const peer: Peer = {
      role: hello.role,
      purpose: hello.purpose,
      signKey: hello.signKey,
      boxKey: hello.boxKey,
      fingerprint: fingerprint({ signKey: hello.signKey, boxKey: hello.boxKey }, this.#nacl),
      software: hello.software,
    };
    return { peer, cipher: sessionKeys(this.#nacl, this.#ephemeral, hello.ephemeralKey, t, 'server') };
  }
}
