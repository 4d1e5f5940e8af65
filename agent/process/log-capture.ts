// A bounded log of a command's output: streamed to a file, the file kept to the newest bytes.
import { open, rename, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** The most output a stage log keeps; older output is dropped and the drop is noted at the top. */
export const LOG_KEEP_BYTES = 4 * 1024 * 1024;
/** How much of the newest output a run result carries as a string. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

export interface LogCaptureOptions {
  keepBytes?: number;
  tailBytes?: number;
}

/** The newest bytes written, up to a limit, as a list of chunks. */
class TailBuffer {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk.length > this.#limit ? chunk.subarray(chunk.length - this.#limit) : chunk);
    this.#bytes += this.#chunks.at(-1)!.length;
    while (this.#bytes - this.#chunks[0]!.length >= this.#limit) this.#bytes -= this.#chunks.shift()!.length;
  }

  bytes(): Buffer {
    const all = Buffer.concat(this.#chunks);
    return all.length > this.#limit ? all.subarray(all.length - this.#limit) : all;
  }
}

const truncationNote = (dropped: number) => Buffer.from(`[darkroom: ${dropped} earlier bytes of output were dropped to keep this log within its limit]\n`);

/**
 * A Writable that appends what it is given to `path` (created 0600) and keeps the file to about
 * `keepBytes`: when the file reaches twice that, and again at the end, it is rewritten as a
 * truncation note followed by the newest `keepBytes`. Disk use stays bounded even for a command that prints without end;
 * backpressure reaches the child's pipe through the stream's buffer.
 */
export class LogCapture extends Writable {
  readonly path: string;
  readonly #keepBytes: number;
  readonly #kept: TailBuffer;
  readonly #tail: TailBuffer;
  #handle: FileHandle | undefined;
  #fileBytes = 0;
  #totalBytes = 0;
  #dropped = 0;

  /** Creates (or empties) the log file first, so a bad path fails here and not mid-run. */
  static async open(path: string, options: LogCaptureOptions = {}): Promise<LogCapture> {
    return new LogCapture(path, await open(path, 'w', 0o600), options);
  }

  private constructor(path: string, handle: FileHandle, options: LogCaptureOptions) {
    super();
    this.path = path;
    this.#handle = handle;
    this.#keepBytes = options.keepBytes ?? LOG_KEEP_BYTES;
    this.#kept = new TailBuffer(this.#keepBytes);
    this.#tail = new TailBuffer(Math.min(options.tailBytes ?? OUTPUT_TAIL_BYTES, this.#keepBytes));
  }

  /** Every byte the command wrote, kept or not. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  /** The newest output as text (a cut multi-byte character shows as U+FFFD). */
  tail(): string {
    return this.#tail.bytes().toString('utf8');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#append(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const compacted = this.#fileBytes > this.#keepBytes ? this.#compact() : Promise.resolve();
    compacted.then(() => this.#close()).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(() => callback(error), () => callback(error));
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  async #append(chunk: Buffer): Promise<void> {
    this.#totalBytes += chunk.length;
    this.#kept.push(chunk);
    this.#tail.push(chunk);
    await this.#handle!.write(chunk);
    this.#fileBytes += chunk.length;
    if (this.#fileBytes >= 2 * this.#keepBytes) await this.#compact();
  }

  async #compact(): Promise<void> {
    const kept = this.#kept.bytes();
    this.#dropped = this.#totalBytes - kept.length;
    const temp = `${this.path}.compact`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.write(Buffer.concat([truncationNote(this.#dropped), kept]));
    } catch (error) {
      await handle.close();
      throw error;
    }
    await rename(temp, this.path);
    await this.#handle!.close();
    this.#handle = handle;
    this.#fileBytes = kept.length;
  }
}
