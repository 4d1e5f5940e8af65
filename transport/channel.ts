// An authenticated, sealed conversation over one WebSocket, after the handshake: requests with
// replies, pushes, bounded waiting, and one way to fail (an Error to the peer, then close).
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../shared/log.js';
import { messageOf } from '../shared/errors.js';
import { WireError } from '../shared/wire/errors.js';
import { decodeEnvelope, decodeFrame, encodeEnvelope, encodeFrame, MAX_FRAME_BYTES, type Envelope, type EnvelopeInit } from '../shared/wire/frame.js';
import type { SessionCipher } from '../shared/wire/session.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Above this many queued bytes, `flush()` waits for the socket to drain. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Close codes: 4000 + the proto ErrorCode, so a peer's close says why. */
export const CLOSE_CODE_BASE = 4000;

export type EnvelopeHandler = (envelope: Envelope, channel: Channel) => void | Promise<void>;

export interface ChannelClose {
  code: number;
  reason: string;
  error?: WireError;
}

export interface ChannelOptions {
  /**
   * The socket under the WebSocket: the frames sent in one turn of the event loop (say, the
   * acknowledgements of a group commit's results) are corked into one write to it.
   */
  stream?: Pick<Writable, 'cork' | 'uncork'>;
}

interface Pending {
  resolve: (envelope: Envelope) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Channel {
  readonly #socket: WebSocket;
  readonly #cipher: SessionCipher;
  readonly #logger: Logger;
  readonly #stream: ChannelOptions['stream'];
  readonly #pending = new Map<number, Pending>();
  readonly #closeListeners: Array<(close: ChannelClose) => void> = [];
  #handler: EnvelopeHandler | null = null;
  #nextRequestId = 1;
  #closed: ChannelClose | null = null;
  #corked = false;

  constructor(socket: WebSocket, cipher: SessionCipher, logger: Logger, options: ChannelOptions = {}) {
    this.#socket = socket;
    this.#cipher = cipher;
    this.#logger = logger;
    this.#stream = options.stream;
    socket.on('message', (data, isBinary) => this.#receive(data as Buffer, isBinary));
    socket.on('close', (code, reason) => this.#onClosed({ code, reason: reason.toString() }));
    socket.on('error', (error) => this.#logger.warn({ err: messageOf(error) }, 'socket error'));
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** Sets the function that receives every envelope that is not a reply to our request. */
  handle(handler: EnvelopeHandler): void {
    this.#handler = handler;
  }

  onClose(listener: (close: ChannelClose) => void): void {
    if (this.#closed) listener(this.#closed);
    else this.#closeListeners.push(listener);
  }

  /** Sends one envelope; false when the channel is already closed (nothing was sent). */
  send(envelope: EnvelopeInit): boolean {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return false;
    return this.sendEncoded(encodeEnvelope(envelope));
  }

  /** Sends envelope bytes encoded by the caller (a fan-out's JobOffers share most of theirs); false when closed. */
  sendEncoded(envelope: Uint8Array): boolean {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return false;
    this.#corkForTurn();
    this.#socket.send(encodeFrame({ sealed: this.#cipher.seal(envelope) }));
    return true;
  }

  /** Holds this turn's frames in the socket until the microtasks run so far are done, then writes them at once. */
  #corkForTurn(): void {
    const stream = this.#stream;
    if (!stream || this.#corked) return;
    this.#corked = true;
    stream.cork();
    process.nextTick(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  /** Resolves once the socket's queue is below the high-water mark (backpressure for bulk sends). */
  async flush(): Promise<void> {
    while (!this.#closed && this.#socket.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  reply(to: Envelope, envelope: EnvelopeInit): boolean {
    return this.send({ ...envelope, requestId: Number(to.requestId) });
  }

  /** Sends a request and waits for the envelope that answers it; an Error reply rejects. */
  request(envelope: EnvelopeInit, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<Envelope> {
    const requestId = this.#nextRequestId++;
    return new Promise<Envelope>((resolve, reject) => {
      if (this.#closed) {
        reject(new WireError('INTERNAL', `Connection is closed (${this.#closed.reason || this.#closed.code}): reconnect and retry`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new WireError('INTERNAL', `No answer to request ${requestId} within ${timeoutMs} ms: the coordinator may be overloaded; retry`));
      }, timeoutMs);
      this.#pending.set(requestId, { resolve, reject, timer });
      this.send({ ...envelope, requestId });
    });
  }

  /** Tells the peer why, then closes. */
  fail(error: WireError, fatal = true): void {
    this.send({ error: error.toProto(fatal) });
    if (fatal) this.close(CLOSE_CODE_BASE + error.protoCode, error.message, error);
  }

  close(code = 1000, reason = 'closing', error?: WireError): void {
    if (this.#closed) return;
    this.#onClosed({ code, reason, ...(error ? { error } : {}) });
    this.#socket.close(code, truncateReason(reason));
  }

  /** Drops the connection without a closing handshake (a dead or hostile peer). */
  terminate(reason: string): void {
    this.#onClosed({ code: 1006, reason });
    this.#socket.terminate();
  }

  #receive(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    let envelope: Envelope;
    try {
      if (!isBinary) throw new WireError('MALFORMED_FRAME', 'Text frame received: Darkroom speaks binary protobuf frames only');
      const frame = decodeFrame(data, MAX_FRAME_BYTES);
      if (frame.error) throw WireError.fromProto(frame.error);
      if (!frame.sealed) throw new WireError('UNEXPECTED_MESSAGE', `Unsealed '${frame.kind}' frame after the handshake`);
      envelope = decodeEnvelope(this.#cipher.open(frame.sealed));
    } catch (error) {
      const wire = error instanceof WireError ? error : new WireError('MALFORMED_FRAME', messageOf(error));
      this.#logger.warn({ code: wire.code, err: wire.message }, 'refusing frame');
      this.fail(wire);
      return;
    }
    const requestId = Number(envelope.requestId);
    const pending = requestId ? this.#pending.get(requestId) : undefined;
    if (pending && envelope.body !== 'notification') {
      this.#pending.delete(requestId);
      clearTimeout(pending.timer);
      if (envelope.error) pending.reject(WireError.fromProto(envelope.error));
      else pending.resolve(envelope);
      return;
    }
    if (envelope.error && envelope.error.fatal) {
      this.#logger.warn({ code: envelope.error.code, err: envelope.error.message }, 'peer reported a fatal error');
    }
    this.#dispatch(envelope);
  }

  #dispatch(envelope: Envelope): void {
    if (!this.#handler) {
      this.#logger.warn({ body: envelope.body }, 'no handler for envelope');
      return;
    }
    const fail = (error: unknown) => {
      const wire = error instanceof WireError ? error : new WireError('INTERNAL', messageOf(error));
      this.#logger.error({ code: wire.code, err: messageOf(error), body: envelope.body }, 'handler failed');
      if (wire.code === 'INTERNAL') this.send({ requestId: Number(envelope.requestId), error: wire.toProto(false) });
      else this.fail(wire, isFatal(wire));
    };
    try {
      const done = this.#handler(envelope, this);
      if (done) done.catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  #onClosed(close: ChannelClose): void {
    if (this.#closed) return;
    const error = close.error ?? (close.code >= CLOSE_CODE_BASE ? WireError.fromProto({ code: close.code - CLOSE_CODE_BASE, message: close.reason }) : undefined);
    this.#closed = { ...close, ...(error ? { error } : {}) };
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error ?? new WireError('INTERNAL', `Connection closed (${close.code} ${close.reason}): reconnect and retry`));
    }
    this.#pending.clear();
    for (const listener of this.#closeListeners.splice(0)) listener(this.#closed);
  }
}

/** Errors after which the conversation cannot go on. */
function isFatal(error: WireError): boolean {
  return ['SESSION_BROKEN', 'MALFORMED_FRAME', 'FRAME_TOO_LARGE', 'REVOKED', 'UNEXPECTED_MESSAGE', 'UNKNOWN_MESSAGE'].includes(error.code);
}

/** A WebSocket close reason is at most 123 bytes. */
export function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
