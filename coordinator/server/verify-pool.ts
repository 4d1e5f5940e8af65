// Result verification off the event loop: a pool of worker threads, one per core, checks the
// Ed25519 signatures of signed results. Requests made in one turn of the event loop go out as one
// message per worker, so a burst of results costs a few messages, not one per result. What comes
// back is what `verifySignedResult` returns; the caller stores and acknowledges as before.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { darkroom } from '../../proto/darkroom.js';
import { DarkroomError } from '../../shared/errors.js';
import type { SignedResultParts } from '../../shared/result.js';

const WORKER_SCRIPT = new URL('./verify-worker.js', import.meta.url);

/** Worker threads by default: one per core the process may use. */
export const DEFAULT_VERIFY_THREADS = availableParallelism();

export interface VerifyRequest {
  id: number;
  result: Uint8Array;
  signature: Uint8Array;
  key: Uint8Array;
}

export type VerifyAnswer =
  | { id: number; ok: true; bytes: Uint8Array; resultId: string }
  | { id: number; ok: false; code: string; message: string };

interface Waiting {
  resultBytes: Uint8Array;
  resolve: (parts: SignedResultParts) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  inFlight: Map<number, Waiting>;
}

export class VerifyPool {
  readonly #threads: Thread[] = [];
  readonly #script: URL;
  #queued: Array<{ request: VerifyRequest; waiting: Waiting }> = [];
  #scheduled: NodeJS.Immediate | null = null;
  #nextId = 1;
  #next = 0;
  #closed = false;

  /** `script` is the threads' code (the tests give one that cannot load). */
  constructor(threads = DEFAULT_VERIFY_THREADS, options: { script?: URL } = {}) {
    this.#script = options.script ?? WORKER_SCRIPT;
    for (let i = 0; i < Math.max(1, threads); i++) this.#threads.push(this.#spawn());
  }

  /**
   * Resolves once every thread has loaded its code and answered an empty batch: the coordinator
   * waits for this before it listens, so a thread that cannot start stops the start with this
   * error instead of the first result, and the threads' memory is taken before any agent connects.
   */
  async ready(): Promise<void> {
    await Promise.all(this.#threads.map(({ worker }) => new Promise<void>((resolve, reject) => {
      const answered = () => {
        worker.off('error', failed);
        resolve();
      };
      const failed = (error: Error) => {
        worker.off('message', answered);
        reject(new DarkroomError('VERIFY_FAILED', `A result verifier thread could not start: ${error.message}`, { cause: error }));
      };
      worker.once('message', answered);
      worker.once('error', failed);
      worker.postMessage([]);
    })));
  }

  /** Verifies a SignedResult against the key it must come from, as `verifySignedResult` does. */
  verify(signed: darkroom.v1.SignedResult.$Properties, expectedKey: Uint8Array): Promise<SignedResultParts> {
    if (this.#closed) return Promise.reject(new DarkroomError('VERIFY_CLOSED', 'The result verifier is closed: the coordinator is stopping'));
    const resultBytes = signed.result ?? new Uint8Array();
    return new Promise((resolve, reject) => {
      const request = { id: this.#nextId++, result: resultBytes, signature: signed.signature ?? new Uint8Array(), key: expectedKey };
      this.#queued.push({ request, waiting: { resultBytes, resolve, reject } });
      this.#scheduled ??= setImmediate(() => this.#send());
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    const closed = new DarkroomError('VERIFY_CLOSED', 'The result verifier closed before answering: the coordinator is stopping');
    for (const { waiting } of this.#queued) waiting.reject(closed);
    this.#queued = [];
    await Promise.all(this.#threads.map(async (thread) => {
      for (const waiting of thread.inFlight.values()) waiting.reject(closed);
      await thread.worker.terminate();
    }));
  }

  /** This turn's requests, split evenly over the threads. */
  #send(): void {
    this.#scheduled = null;
    const queued = this.#queued;
    this.#queued = [];
    const share = Math.ceil(queued.length / this.#threads.length);
    for (let start = 0; start < queued.length; start += share) {
      const thread = this.#threads[this.#next++ % this.#threads.length]!;
      const slice = queued.slice(start, start + share);
      for (const { request, waiting } of slice) thread.inFlight.set(request.id, waiting);
      thread.worker.postMessage(slice.map((item) => item.request));
    }
  }

  #spawn(): Thread {
    const thread: Thread = { worker: new Worker(this.#script), inFlight: new Map() };
    thread.worker.unref();
    thread.worker.on('message', (answers: VerifyAnswer[]) => {
      for (const answer of answers) {
        const waiting = thread.inFlight.get(answer.id);
        if (!waiting) continue;
        thread.inFlight.delete(answer.id);
        if (!answer.ok) waiting.reject(new DarkroomError(answer.code, answer.message));
        else waiting.resolve({ bytes: answer.bytes, resultId: answer.resultId, result: darkroom.v1.Result.decode(waiting.resultBytes) });
      }
    });
    thread.worker.on('error', (error) => this.#replace(thread, error));
    return thread;
  }

  /** A thread that died fails what it held and is replaced, so one bad turn does not stop ingest. */
  #replace(thread: Thread, error: Error): void {
    for (const waiting of thread.inFlight.values()) waiting.reject(new DarkroomError('VERIFY_FAILED', `A result verifier thread failed: ${error.message}`, { cause: error }));
    thread.inFlight.clear();
    const index = this.#threads.indexOf(thread);
    if (index >= 0 && !this.#closed) this.#threads[index] = this.#spawn();
  }
}
