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

/** What a timer handle is: only given back to `clearTimeout`. */
export type TimerHandle = unknown;

/**
 * A clock that also runs timers: how a plugin waits (forward's retransmission timer and deadline).
 * A server block has one (`block.timers`); tests give `manualTimers()` and step it exactly.
 */
export interface Timers extends Clock {
  setTimeout(fn: () => void, ms: Duration): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's timers (a timer set keeps the process alive, as Node's do) and `performance.now`. */
export const systemTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

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

export interface ManualTimers extends Timers {
  /** Moves time on by `ms`, running each timer that falls due on the way, at its own instant, in order. */
  advance(ms: Duration): void;
  /** Timers set and not yet run or cleared. */
  readonly pending: number;
}

/**
 * Timers that run only when the test moves time on (`advance`): a timer set for d ms runs when the
 * clock reaches now + d, in the order they fall due (ties: the order they were set). A timer set
 * by a timer that runs during an advance runs in the same advance if it falls due within it.
 */
export function manualTimers(start: Instant = 1_000_000): ManualTimers {
  let t = start;
  let seq = 0;
  const due = new Map<number, { at: Instant; fn: () => void }>();
  return {
    now: () => t,
    setTimeout(fn, ms) {
      const id = ++seq;
      due.set(id, { at: t + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') due.delete(handle);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        let next: number | undefined;
        for (const [id, d] of due) if (d.at <= end && (next === undefined || d.at < due.get(next)!.at)) next = id;
        if (next === undefined) break;
        const { at, fn } = due.get(next)!;
        due.delete(next);
        t = at;
        fn();
      }
      t = end;
    },
    get pending() {
      return due.size;
    },
  };
}
