// Timing and memory sampling shared by the benchmarks.

/** Runs `fn` and returns its wall time in seconds. */
export async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Samples the process's RSS while `fn` runs; returns the peak rise above the start, in MiB. */
export async function peakRssRiseMiB(fn: () => Promise<unknown>): Promise<number> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return (peak - base) / 2 ** 20;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
}
