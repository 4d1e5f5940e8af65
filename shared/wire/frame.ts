// Frame and envelope codec: strict, bounded decoding of everything that arrives on a connection.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../errors.js';
import { WireError } from './errors.js';

export const PROTOCOL_VERSION = 1;
/** Largest frame after the handshake: a bundle chunk or a result with its sealed logs. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest frame before the handshake ends (hello, challenge, proof, error are small). */
export const MAX_HANDSHAKE_FRAME_BYTES = 4 * 1024;

export type Frame = darkroom.v1.Frame;
export type Envelope = darkroom.v1.Envelope;
export type EnvelopeBody = NonNullable<Envelope['body']>;
export type EnvelopeInit = darkroom.v1.Envelope.$Properties;

export function encodeFrame(frame: darkroom.v1.Frame.$Properties): Uint8Array {
  return darkroom.v1.Frame.encode({ version: PROTOCOL_VERSION, ...frame }).finish();
}

/** Decodes one frame; every failure is a WireError naming what was wrong with the bytes. */
export function decodeFrame(bytes: Uint8Array, maxBytes = MAX_FRAME_BYTES): Frame {
  if (bytes.length > maxBytes) {
    throw new WireError('FRAME_TOO_LARGE', `Frame of ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  let frame: Frame;
  try {
    frame = darkroom.v1.Frame.decode(bytes);
  } catch (cause) {
    throw new WireError('MALFORMED_FRAME', `Frame of ${bytes.length} bytes does not decode: ${messageOf(cause)}`, { cause });
  }
  if (frame.version !== PROTOCOL_VERSION) {
    throw new WireError('UNSUPPORTED_VERSION', `Peer speaks protocol version ${frame.version}, this side speaks ${PROTOCOL_VERSION}: upgrade the older side`);
  }
  if (!frame.kind) throw new WireError('UNKNOWN_MESSAGE', 'Frame carries no message this version knows: the peer may be newer; upgrade this side');
  return frame;
}

export function encodeEnvelope(envelope: EnvelopeInit): Uint8Array {
  return darkroom.v1.Envelope.encode(envelope).finish();
}

/** Decodes the plaintext of a sealed frame. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let envelope: Envelope;
  try {
    envelope = darkroom.v1.Envelope.decode(bytes);
  } catch (cause) {
    throw new WireError('MALFORMED_FRAME', `Envelope of ${bytes.length} bytes does not decode: ${messageOf(cause)}`, { cause });
  }
  if (!envelope.body) throw new WireError('UNKNOWN_MESSAGE', 'Envelope carries no message this version knows: the peer may be newer; upgrade this side');
  return envelope;
}
