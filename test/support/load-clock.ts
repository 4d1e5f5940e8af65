// One clock for load runs spread over processes: CLOCK_MONOTONIC, which every process on the
// machine shares, in milliseconds.

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
