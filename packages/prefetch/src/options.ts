import type { Duration } from '@dnsmesh/core';

/** What prefetch does, from a Corefile or from code. */
export interface PrefetchOptions {
  /** Hits within `duration` a name needs before it is prefetched (CoreDNS's AMOUNT). */
  readonly amount: number;
  /** The window those hits must fall in (ms; CoreDNS's DURATION). */
  readonly duration: Duration;
  /** Prefetch once the remaining TTL is at most this share of the original TTL (10 to 90, percent). */
  readonly percentage: number;
}

/** Every default, as CoreDNS has them (AMOUNT has none: the Corefile requires it). */
export const DEFAULTS = {
  duration: 60_000,
  percentage: 10,
} as const;

/** Limits that the Corefile and the code factory both check. */
export const LIMITS = {
  amount: { min: 1 },
  duration: { min: 1000 },
  percentage: { min: 10, max: 90 },
} as const;

/**
 * After a failed refresh, the entry is not prefetched again for this long (ms): Unbound's NORR_TTL,
 * so a dead upstream sees at most one prefetch per name every 5 s.
 */
export const RETRY_SPACING: Duration = 5000;

/** What the code factory `prefetch(input)` takes. */
export interface PrefetchInput {
  readonly amount: number;
  readonly duration?: Duration;
  readonly percentage?: number;
}

/** Checks code input once, with the Corefile's limits; a TypeError names the option. */
export function resolveOptions(input: PrefetchInput): PrefetchOptions {
  const amount = input.amount;
  if (!Number.isSafeInteger(amount) || amount < LIMITS.amount.min) {
    throw new TypeError(`prefetch: amount must be an integer of at least ${LIMITS.amount.min}, got ${String(amount)}`);
  }
  const duration = input.duration ?? DEFAULTS.duration;
  if (!(Number.isFinite(duration) && duration >= LIMITS.duration.min)) {
    throw new TypeError(`prefetch: duration must be at least ${LIMITS.duration.min} ms, got ${String(duration)}`);
  }
  const percentage = input.percentage ?? DEFAULTS.percentage;
  if (!(percentage >= LIMITS.percentage.min && percentage <= LIMITS.percentage.max)) {
    throw new TypeError(`prefetch: percentage must be between ${LIMITS.percentage.min} and ${LIMITS.percentage.max}, got ${String(percentage)}`);
  }
  return { amount, duration, percentage };
}
