// Jittered exponential back-off for reconnecting: many agents that lost one coordinator must not
// come back in the same second.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2 };

export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** The next delay: "full jitter", uniformly in [0.5, 1] of the capped exponential step. */
  next(): number {
    const { initialMs, maxMs, factor } = this.#options;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt++;
    return Math.round(ceiling * (0.5 + this.#random() / 2));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
