// The chunked payload: secretbox per 64 KiB chunk, nonce = counter ‖ last-chunk flag. Knows no
// recipients and no header, only a key and the declared plaintext length.
import { Transform, type TransformCallback } from 'node:stream';
import { MAC_BYTES, NONCE_BYTES, type Nacl } from '../crypto/index.js';
import { BundleError } from './errors.js';
import { CHUNK_SIZE } from './limits.js';

const SEALED_CHUNK = CHUNK_SIZE + MAC_BYTES;

/** Chunks a payload of `plaintextBytes` has: at least one, the last one never empty unless all is. */
export function chunkCount(plaintextBytes: number): number {
  return Math.max(1, Math.ceil(plaintextBytes / CHUNK_SIZE));
}

/** Length of the ciphertext of a payload of `plaintextBytes`. */
export function sealedPayloadBytes(plaintextBytes: number): number {
  return plaintextBytes + MAC_BYTES * chunkCount(plaintextBytes);
}

/** 15 zero bytes ‖ u64be(index) ‖ 0x01 on the last chunk, else 0x00. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(15, BigInt(index));
  nonce[23] = last ? 1 : 0;
  return nonce;
}

/** Shared bookkeeping: which chunk comes next and how long its plaintext must be. */
abstract class Chunker {
  protected readonly crypto: Nacl;
  protected readonly key: Uint8Array;
  protected readonly total: number;
  protected readonly count: number;
  protected index = 0;
  protected readonly buffer: Buffer;
  protected filled = 0;

  constructor(crypto: Nacl, key: Uint8Array, plaintextBytes: number, bufferBytes: number) {
    this.crypto = crypto;
    this.key = key;
    this.total = plaintextBytes;
    this.count = chunkCount(plaintextBytes);
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  protected plainLength(index: number): number {
    return index < this.count - 1 ? CHUNK_SIZE : this.total - CHUNK_SIZE * (this.count - 1);
  }

  /** Feeds bytes; returns the output chunks completed by them. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.index >= this.count) this.overflow(bytes.length - offset);
      const want = this.unitLength(this.index) - this.filled;
      const take = Math.min(want, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.unitLength(this.index)) out.push(this.complete());
    }
    return out;
  }

  /** Ends the input; returns a last output chunk if one was pending (the empty payload's). */
  end(): Uint8Array[] {
    const out = this.index === this.count - 1 && this.filled === this.unitLength(this.index) ? [this.complete()] : [];
    if (this.index < this.count) this.underflow();
    return out;
  }

  private complete(): Uint8Array {
    const result = this.process(this.buffer.subarray(0, this.filled), this.index, this.index === this.count - 1);
    this.index += 1;
    this.filled = 0;
    return result;
  }

  protected abstract unitLength(index: number): number;
  protected abstract process(unit: Uint8Array, index: number, last: boolean): Uint8Array;
  protected abstract overflow(extra: number): never;
  protected abstract underflow(): never;
}

/** Seals a plaintext stream of exactly `plaintextBytes` bytes. */
export class ChunkSealer extends Chunker {
  constructor(crypto: Nacl, key: Uint8Array, plaintextBytes: number) {
    super(crypto, key, plaintextBytes, CHUNK_SIZE);
  }

  protected unitLength(index: number): number {
    return this.plainLength(index);
  }

  protected process(unit: Uint8Array, index: number, last: boolean): Uint8Array {
    return this.crypto.secretbox(unit, chunkNonce(index, last), this.key);
  }

  protected overflow(extra: number): never {
    throw new BundleError('INPUT_CHANGED', `Payload is longer than the ${this.total} bytes declared in its header (${extra} more): an input file grew while it was sealed; seal again`);
  }

  protected underflow(): never {
    throw new BundleError('INPUT_CHANGED', `Payload ended after ${this.index * CHUNK_SIZE + this.filled} of the ${this.total} bytes declared in its header: an input file shrank while it was sealed; seal again`);
  }
}

/** Opens a ciphertext stream whose plaintext is declared to be `plaintextBytes` long. */
export class ChunkOpener extends Chunker {
  constructor(crypto: Nacl, key: Uint8Array, plaintextBytes: number) {
    super(crypto, key, plaintextBytes, SEALED_CHUNK);
  }

  protected unitLength(index: number): number {
    return this.plainLength(index) + MAC_BYTES;
  }

  protected process(unit: Uint8Array, index: number, last: boolean): Uint8Array {
    const plain = this.crypto.secretboxOpen(unit, chunkNonce(index, last), this.key);
    if (!plain) {
      const start = index * SEALED_CHUNK;
      throw new BundleError('CHUNK_AUTH', `Payload chunk ${index} of ${this.count} (ciphertext bytes ${start}–${start + unit.length - 1}) failed authentication: the payload was altered, reordered, duplicated or belongs to another envelope; fetch it again`);
    }
    return plain;
  }

  protected overflow(extra: number): never {
    throw new BundleError('TRAILING_DATA', `Payload has ${extra} or more bytes after its last chunk (${this.count} chunks, ${sealedPayloadBytes(this.total)} bytes expected): the payload was extended or two were joined; fetch it again`);
  }

  protected underflow(): never {
    const where = this.filled === 0 ? `at the boundary after chunk ${this.index - 1}` : `inside chunk ${this.index}`;
    throw new BundleError('TRUNCATED', `Payload is truncated ${where}: ${this.index} of ${this.count} chunks arrived (${sealedPayloadBytes(this.total)} bytes expected); fetch it again`);
  }
}

/** A Transform around a chunker: sealing or opening with bounded memory, one chunk at a time. */
export function chunkTransform(chunker: ChunkSealer | ChunkOpener): Transform {
  const emit = (stream: Transform, parts: Uint8Array[]) => {
    for (const part of parts) stream.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        emit(this, chunker.push(chunk));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        emit(this, chunker.end());
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Seals a payload held in memory (logs); the result is `sealedPayloadBytes(plaintext.length)` long. */
export function sealPayloadBytes(crypto: Nacl, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const sealer = new ChunkSealer(crypto, key, plaintext.length);
  return Buffer.concat([...sealer.push(plaintext), ...sealer.end()]);
}

/** Opens a payload held in memory; every chunk is authenticated before anything is returned. */
export function openPayloadBytes(crypto: Nacl, key: Uint8Array, ciphertext: Uint8Array, plaintextBytes: number): Uint8Array {
  const opener = new ChunkOpener(crypto, key, plaintextBytes);
  return Buffer.concat([...opener.push(ciphertext), ...opener.end()]);
}
