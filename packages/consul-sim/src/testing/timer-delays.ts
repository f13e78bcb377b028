// For tests that must not time anything: every delay the simulator asks its timers for (slow
// replies, blocking-query waits, `down` for a while) is recorded, and with `instant` the timer runs
// at once instead of waiting, a clock that jumps. Timers.after is the one place a delay is set.
import { Timers } from '../timers.js';

export interface TimerDelays {
  /** The delays asked for since the hook went in, in ms, in order. */
  readonly delays: number[];
  /** Puts Timers back as it was. */
  restore(): void;
}

export function recordTimerDelays({ instant = false }: { instant?: boolean } = {}): TimerDelays {
  const delays: number[] = [];
  const after = Timers.prototype.after;
  Timers.prototype.after = function (this: Timers, ms: number, fn: () => void): NodeJS.Timeout {
    delays.push(ms);
    return after.call(this, instant ? 0 : ms, fn);
  };
  return { delays, restore: () => { Timers.prototype.after = after; } };
}
