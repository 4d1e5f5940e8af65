// The client side of a connection: open the socket, run the handshake, return a sealed channel.
import WebSocket from 'ws';
import { darkroom } from '../proto/darkroom.js';
import { nacl as defaultNacl, type Nacl } from '../shared/crypto/index.js';
import { messageOf } from '../shared/errors.js';
import type { Identity, PublicIdentity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import { SOFTWARE } from '../shared/version.js';
import { WireError } from '../shared/wire/errors.js';
import { decodeEnvelope, decodeFrame, MAX_FRAME_BYTES } from '../shared/wire/frame.js';
import { ClientHandshake } from '../shared/wire/handshake.js';
import { Channel } from './channel.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  url: string;
  identity: Identity;
  role: darkroom.v1.Role;
  purpose?: darkroom.v1.Purpose;
  /** The coordinator fingerprint this client pinned. */
  fingerprint: string;
  logger: Logger;
  handshakeTimeoutMs?: number;
  nacl?: Nacl;
  /** Extra TLS trust for wss:// with a private CA or self-signed certificate. */
  ca?: string | Buffer;
}

export interface Connected {
  channel: Channel;
  /** Present for PURPOSE_CONNECT; enrolment gets its answer with its request. */
  welcome: darkroom.v1.Welcome | null;
  serverTimeMs: number;
  /** The coordinator's public keys, proven in the handshake to match the pinned fingerprint. */
  server: PublicIdentity;
}

/**
 * Connects and authenticates both ways. Rejects with a WireError: HANDSHAKE_FAILED for an
 * impostor, the server's own code (UNKNOWN_PARTY, REVOKED, …) when it refuses us, and
 * CONNECTION_LOST when the socket fails or closes without a refusal (a restart, a network cut).
 */
export function connect(options: ConnectOptions): Promise<Connected> {
  const nacl = options.nacl ?? defaultNacl;
  const purpose = options.purpose ?? darkroom.v1.Purpose.PURPOSE_CONNECT;
  const handshake = new ClientHandshake({ nacl, identity: options.identity, role: options.role, purpose, pinnedFingerprint: options.fingerprint, software: SOFTWARE });
  const socket = new WebSocket(options.url, { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, ...(options.ca ? { ca: options.ca } : {}) });
  return new Promise<Connected>((resolve, reject) => {
    let step: 'challenge' | 'welcome' = 'challenge';
    let channelCipher: ReturnType<ClientHandshake['challenge']> | null = null;
    const timer = setTimeout(() => fail(new WireError('HANDSHAKE_TIMEOUT', `No handshake with ${options.url} within ${options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS} ms: check the URL and that the coordinator is running`)), options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.terminate();
      reject(error instanceof WireError ? error : new WireError('CONNECTION_LOST', `Cannot connect to ${options.url}: ${messageOf(error)}`, { cause: error }));
    };
    socket.once('open', () => socket.send(handshake.hello()));
    socket.on('error', fail);
    socket.on('close', (code, reason) => fail(code >= 4000 ? WireError.fromProto({ code: code - 4000, message: reason.toString() }) : new WireError('CONNECTION_LOST', `Coordinator closed the connection during the handshake (${code} ${reason.toString() || 'no reason'}): it may be restarting; retry`)));
    socket.on('message', (data: Buffer) => {
      try {
        if (step === 'challenge') {
          channelCipher = handshake.challenge(data);
          socket.send(channelCipher.proof);
          step = 'welcome';
          if (purpose === darkroom.v1.Purpose.PURPOSE_ENROLL) finish(null);
          return;
        }
        const frame = decodeFrame(data, MAX_FRAME_BYTES);
        if (frame.error) throw WireError.fromProto(frame.error);
        if (!frame.sealed) throw new WireError('UNEXPECTED_MESSAGE', `Expected the sealed Welcome, got '${frame.kind}'`);
        const envelope = decodeEnvelope(channelCipher!.cipher.open(frame.sealed));
        if (envelope.error) throw WireError.fromProto(envelope.error);
        if (!envelope.welcome) throw new WireError('UNEXPECTED_MESSAGE', `Expected Welcome, got '${envelope.body}'`);
        finish(envelope.welcome as darkroom.v1.Welcome);
      } catch (error) {
        fail(error instanceof WireError ? error : new WireError('HANDSHAKE_FAILED', `Handshake with ${options.url} failed: ${messageOf(error)}`, { cause: error }));
      }
    });
    const finish = (welcome: darkroom.v1.Welcome | null) => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      const channel = new Channel(socket, channelCipher!.cipher, options.logger);
      resolve({ channel, welcome, serverTimeMs: channelCipher!.serverTimeMs, server: channelCipher!.server });
    };
  });
}
