// The durable outbox: a signed result is on disk (fsynced) before it is sent, and stays there until
// the coordinator acknowledges it, across restarts, reboots and network cuts.
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../shared/errors.js';
import { jobIdProblem } from '../shared/peer-names.js';

const SUFFIX = '.result';

export type OutboxErrorCode = 'UNSAFE_NAME';

/** A job id or attempt that cannot name a file in the outbox (a hostile ResultAck's `../`). */
export class OutboxError extends DarkroomError<OutboxErrorCode> {}

export interface OutboxEntry {
  jobId: string;
  attempt: number;
  /** SignedResult bytes. */
  bytes: Uint8Array;
}

export class Outbox {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  get dir(): string {
    return this.#dir;
  }

  static async open(dir: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new Outbox(dir);
  }

  /** The file of a result; the job id and attempt are checked first, as they may come from the coordinator. */
  #path(jobId: string, attempt: number): string {
    const problem = jobIdProblem(jobId) ?? (Number.isSafeInteger(attempt) && attempt >= 0 ? null : `Attempt ${String(attempt)} is not a whole number`);
    if (problem) throw new OutboxError('UNSAFE_NAME', `${problem}: no outbox file is touched`);
    return join(this.#dir, `${jobId}.${attempt}${SUFFIX}`);
  }

  /** Writes the result durably: temp file, fsync, rename, fsync of the directory. */
  async put(entry: OutboxEntry): Promise<void> {
    const path = this.#path(entry.jobId, entry.attempt);
    const temp = `${path}.tmp`;
    const handle = await open(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
    try {
      await handle.writeFile(entry.bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const dir = await open(this.#dir, 'r');
    await dir.sync().finally(() => dir.close());
  }

  /** Every result not yet acknowledged, oldest job id first. Half-written temp files are dropped. */
  async pending(): Promise<OutboxEntry[]> {
    const names = (await readdir(this.#dir)).sort();
    const entries: OutboxEntry[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        await unlink(join(this.#dir, name)).catch(() => undefined);
        continue;
      }
      const match = /^(.+)\.(\d+)\.result$/.exec(name);
      if (!match) continue;
      entries.push({ jobId: match[1]!, attempt: Number(match[2]), bytes: await readFile(join(this.#dir, name)) });
    }
    return entries;
  }

  async has(jobId: string, attempt: number): Promise<boolean> {
    return readFile(this.#path(jobId, attempt)).then(() => true, () => false);
  }

  /** Drops an acknowledged result. Acknowledging twice is harmless. */
  async ack(jobId: string, attempt: number): Promise<void> {
    await unlink(this.#path(jobId, attempt)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
