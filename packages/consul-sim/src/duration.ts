// Go's time.ParseDuration, which Consul uses for `?wait=` and for dns_config TTLs.
const UNITS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds, or undefined when Go would reject the string ("5" needs a unit; "0" does not). */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s.startsWith('-') ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (m === null || m.index !== start) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return sign * total;
}

/** A TTL given as seconds or as a Go duration string, in whole seconds. */
export type TtlInput = number | string;

export function ttlSeconds(value: TtlInput, what: string): number {
  const ms = typeof value === 'number' ? value * 1000 : parseGoDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(`consul-sim: ${what} must be seconds or a duration like "10s", got ${JSON.stringify(value)}`);
  }
  return Math.floor(ms / 1000);
}

/** Go's String() for a duration, enough for DebugConfig ("0s", "10s", "1m30s"). */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
