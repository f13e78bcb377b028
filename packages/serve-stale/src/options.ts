import { Ede, type Duration, type Ttl } from '@dnsmesh/core';

/** What serve_stale does, from a Corefile or from code. Durations in ms, TTLs in seconds. */
export interface ServeStaleOptions {
  /** How long past expiry an entry may still be served (Unbound serve-expired-ttl; CoreDNS DURATION). */
  readonly maxStale: Duration;
  /**
   * How long a client waits for the refresh before it gets the stale answer (RFC 8767's client
   * response timer; Unbound serve-expired-client-timeout). 0: the stale answer at once, the refresh behind.
   */
  readonly clientTimeout: Duration;
  /** The TTL every record of a stale answer carries (RFC 8767 §4: 30 s recommended, never 0). */
  readonly replyTtl: Ttl;
  /** After a failed refresh, stale is answered at once, with no new upstream query, for this long (RFC 8767 §5). */
  readonly failureRecheck: Duration;
}

export const DEFAULTS: ServeStaleOptions = {
  maxStale: 3_600_000,
  clientTimeout: 1800,
  replyTtl: 30,
  failureRecheck: 30_000,
};

/** Limits that the Corefile and the code factory both check. */
export const LIMITS = {
  /** Up to 7 days (RFC 8767 §5 suggests 1 to 3 days for the max stale timer). */
  maxStale: { min: 1000, max: 604_800_000 },
  /** Forward gives up after 5 s; waiting longer than 10 s is never useful. */
  clientTimeout: { min: 0, max: 10_000 },
  /** In seconds: at least 1 (RFC 8767 §4: TTL > 0), at most an hour. */
  replyTtl: { min: 1, max: 3600 },
  /** At most 5 minutes, as CoreDNS's RECHECK. */
  failureRecheck: { min: 0, max: 300_000 },
} as const;

/** RFC 8914 Extended DNS Error "Stale Answer". */
export const EDE_STALE_ANSWER: number = Ede.STALE_ANSWER;

/** What the code factory `serveStale(input)` takes: any subset of the options. */
export type ServeStaleInput = Partial<ServeStaleOptions>;

/** Checks code input once, with the Corefile's limits; a TypeError names the option. */
export function resolveOptions(input: ServeStaleInput = {}): ServeStaleOptions {
  const o = { ...DEFAULTS, ...stripUndefined(input) };
  check('maxStale', o.maxStale, LIMITS.maxStale, 'ms');
  check('clientTimeout', o.clientTimeout, LIMITS.clientTimeout, 'ms');
  check('replyTtl', o.replyTtl, LIMITS.replyTtl, 's');
  if (!Number.isInteger(o.replyTtl)) throw new TypeError(`serve_stale: replyTtl must be whole seconds, got ${o.replyTtl}`);
  check('failureRecheck', o.failureRecheck, LIMITS.failureRecheck, 'ms');
  return o;
}

function check(option: string, value: unknown, range: { min: number; max: number }, unit: string): void {
  if (typeof value !== 'number' || !(value >= range.min && value <= range.max)) {
    throw new TypeError(`serve_stale: ${option} must be between ${range.min} and ${range.max} ${unit}, got ${String(value)}`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
