// When a mail the relay did not take is tried again: doubling delays up to a ceiling, and a
// deadline after which it is given up. Pure.

export interface RetryPolicy {
  /** Delay after the first failed attempt. */
  firstMs: number;
  /** The longest delay between two attempts. */
  maxMs: number;
  /** A mail still unsent this long after it was queued is given up (and logged). */
  giveUpAfterMs: number;
}

export const DEFAULT_MAIL_RETRY_FIRST_MS = 2_000;
export const DEFAULT_MAIL_RETRY_MAX_MS = 10 * 60_000;
export const DEFAULT_MAIL_GIVE_UP_MS = 3 * 24 * 60 * 60_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstMs: DEFAULT_MAIL_RETRY_FIRST_MS,
  maxMs: DEFAULT_MAIL_RETRY_MAX_MS,
  giveUpAfterMs: DEFAULT_MAIL_GIVE_UP_MS,
};

/** The delay after the `attempts`-th failed attempt (1-based): first, 2×first, 4×first, … up to max. */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  const doublings = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(policy.maxMs, policy.firstMs * 2 ** doublings);
}

/** What to do after a failed attempt: try again at a time, or give up. */
export function afterFailure(mail: { createdAt: number; attempts: number }, options: { now: number; policy: RetryPolicy }): { retryAt: number } | 'give-up' {
  if (options.now - mail.createdAt >= options.policy.giveUpAfterMs) return 'give-up';
  return { retryAt: options.now + retryDelayMs(mail.attempts + 1, options.policy) };
}
