// Durations as people write them in the agent config: `90s`, `10m`, `2h`, `1h30m`, `500ms`.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration a config may give (a stage running longer than a week is a mistake). */
export const MAX_DURATION_MS = 7 * UNIT_MS.d!;

const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds of a duration string, or undefined when it is not one (or zero, or over a week). */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim();
  if (!WHOLE.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}

/** The shortest spelling of a duration, for messages and `agent check` (`5400000` → `1h30m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
