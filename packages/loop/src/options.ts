import type { Duration } from '@dnsmesh/core';

/** What `loop` does. */
export interface LoopOptions {
  /** The zone the probe name is made in: the server block's first zone. */
  readonly zone: string;
}

/** How the probe runs (CoreDNS's values); settable from code, for tests. */
export interface ProbeTiming {
  /** Stop probing (and looking) this long after the start. */
  readonly deadline: Duration;
  /** Wait this long for the probe's reply, and this long between tries. */
  readonly interval: Duration;
  /** After a reply, keep looking this long (later copies of a looping probe are still on their way). */
  readonly linger: Duration;
}

export const TIMING: ProbeTiming = { deadline: 30_000, interval: 2000, linger: 2000 };

/** A probe seen more than this many times is a loop (CoreDNS: "more than twice"). */
export const MAX_SEEN = 2;
