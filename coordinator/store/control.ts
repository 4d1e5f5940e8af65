// Notices commits by other processes (admin commands) on the shared database file within a poll.
import type { Db } from './database.js';

/** How often the running server checks whether another process changed the database. */
export const CHANGE_POLL_MS = 200;

export interface ChangeWatcherOptions {
  intervalMs?: number;
  /** Called after another connection committed; errors it throws go to `onError`. */
  onChange: () => void | Promise<void>;
  onError: (error: unknown) => void;
}

/**
 * Polls `PRAGMA data_version` on the server's own connection. SQLite changes that number only
 * when another connection commits, so the server's own writes never wake it: an admin command
 * (revoke, withdraw, new embargo) in a separate process is seen within one interval.
 */
export class ChangeWatcher {
  readonly #db: Db;
  readonly #options: ChangeWatcherOptions;
  #timer: NodeJS.Timeout | null = null;
  #version = 0;
  #running = false;

  constructor(db: Db, options: ChangeWatcherOptions) {
    this.#db = db;
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#version = this.#read();
    this.#timer = setInterval(() => void this.#poll(), this.#options.intervalMs ?? CHANGE_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #read(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  async #poll(): Promise<void> {
    if (this.#running || !this.#db.open) return;
    const version = this.#read();
    if (version === this.#version) return;
    this.#version = version;
    this.#running = true;
    try {
      await this.#options.onChange();
    } catch (error) {
      this.#options.onError(error);
    } finally {
      this.#running = false;
    }
  }
}
