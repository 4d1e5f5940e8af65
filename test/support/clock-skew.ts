// A `node --import` preload that moves this process's wall clock by DARKROOM_TEST_CLOCK_SKEW_MS
// (Date.now and new Date() without arguments), as a lab machine whose clock drifted would be.
// Timers and performance.now keep real time, as they do on a machine with a wrong clock.
import { pathToFileURL } from 'node:url';

export const CLOCK_SKEW_ENV = 'DARKROOM_TEST_CLOCK_SKEW_MS';

/** The environment that starts a Node process (and the agent's Node children) with a skewed clock. */
export function skewedClockEnv(skewMs: number): Record<string, string> {
  const preload = pathToFileURL(new URL(import.meta.url).pathname).href;
  return { [CLOCK_SKEW_ENV]: String(skewMs), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim() };
}

const skew = Number(process.env[CLOCK_SKEW_ENV] ?? 0);
if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + skew);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return realNow() + skew;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
