// Reads made once per turn of the event loop: the messages that arrive together (a burst of
// results from one agent, a group commit's worth of notifications) share one store read, and the
// next turn reads again, so a change made by another process is seen from the next turn on.

export class TurnMemo<K, V> {
  readonly #values = new Map<K, V>();
  #clearing: NodeJS.Immediate | null = null;

  /** The value read for `key` in this turn, or `read()` now (and kept until the turn ends). */
  get(key: K, read: () => V): V {
    if (this.#values.has(key)) return this.#values.get(key)!;
    const value = read();
    this.#values.set(key, value);
    this.#clearing ??= setImmediate(() => this.#forget());
    return value;
  }

  #forget(): void {
    this.#clearing = null;
    this.#values.clear();
  }
}
