/** Seconds, as DNS TTLs count them. */
export type Ttl = number;
/** Milliseconds. */
export type Duration = number;
/** Milliseconds on a monotonic clock (only differences mean anything). */
export type Instant = number;

/** The only source of time for plugins: tests inject a manual clock and step it exactly. */
export interface Clock {
  now(): Instant;
}

export const systemClock: Clock = { now: () => performance.now() };

export interface ManualClock extends Clock {
  advance(ms: Duration): void;
  set(ms: Instant): void;
}

/** A clock that moves only when told to. Starts at an arbitrary non-zero instant. */
export function manualClock(start: Instant = 1_000_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) { t += ms; },
    set(ms) { t = ms; },
  };
}
