// Tells watchers once that every job of a bundle has ended. Checked once per bundle per turn of
// the event loop rather than per result, so a burst of 10,000 results into one bundle costs a
// count per group commit, not 10,000 scans of the bundle's jobs.

export interface BundleCompletionOptions {
  /** Jobs of the bundle not yet ended. */
  openJobs: (bundleId: string) => number;
  /** Called when a bundle with a newly accepted result has no open job left; `jobId` is that result's job. */
  complete: (bundleId: string, jobId: string) => void;
  onError: (error: unknown) => void;
}

export class BundleCompletion {
  readonly #options: BundleCompletionOptions;
  readonly #changed = new Map<string, string>();
  #scheduled: NodeJS.Immediate | null = null;

  constructor(options: BundleCompletionOptions) {
    this.#options = options;
  }

  /** A result of `jobId` in `bundleId` was accepted. */
  changed(bundleId: string, jobId: string): void {
    this.#changed.set(bundleId, jobId);
    this.#scheduled ??= setImmediate(() => this.#check());
  }

  stop(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#changed.clear();
  }

  #check(): void {
    this.#scheduled = null;
    const changed = [...this.#changed];
    this.#changed.clear();
    for (const [bundleId, jobId] of changed) {
      try {
        if (this.#options.openJobs(bundleId) === 0) this.#options.complete(bundleId, jobId);
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }
}
