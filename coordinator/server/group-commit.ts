// Group commit: the store writes of every message that arrived in one turn of the event loop run
// in one transaction, so a thousand agents cost one fsync, not a thousand. Each write runs in its
// own savepoint (a refused one undoes only itself), and each caller learns its outcome only after
// the commit is durable: a result is still acknowledged only once it is on disk.
import { inWrite } from '../store/database.js';
import type { Store } from '../store/store.js';

/** Writes per transaction at most; more wait for the next one, so one commit stays short. */
export const MAX_GROUP_COMMIT_WRITES = 2_000;

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  readonly #store: Store;
  readonly #maxWrites: number;
  #queue: Queued[] = [];
  #scheduled: NodeJS.Immediate | null = null;

  constructor(store: Store, options: { maxWrites?: number } = {}) {
    this.#store = store;
    this.#maxWrites = options.maxWrites ?? MAX_GROUP_COMMIT_WRITES;
  }

  /** Runs `work` in the next group transaction; resolves with its value once that is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now (the coordinator calls it before closing the store). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    while (this.#queue.length > 0) this.#commit(this.#queue.splice(0, this.#maxWrites));
  }

  #commit(batch: readonly Queued[]): void {
    let outcomes: Outcome[];
    try {
      outcomes = this.#store.write(() => batch.map((item): Outcome => {
        try {
          return { ok: true, value: inWrite(this.#store.db, item.work) };
        } catch (error) {
          return { ok: false, error };
        }
      }));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
