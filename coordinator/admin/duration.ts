// Durations people type on the command line: "90s", "30m", "24h", "7d".
import { DarkroomError } from '../../shared/errors.js';

export class DurationError extends DarkroomError<'DURATION_INVALID'> {}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of "<positive integer><s|m|h|d>"; names the input when it is not one. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount <= 0) {
    throw new DurationError('DURATION_INVALID', `Duration '${text}' is not a positive whole number followed by s, m, h or d: use e.g. 24h or 7d`);
  }
  return amount * UNIT_MS[match[2]!]!;
}
