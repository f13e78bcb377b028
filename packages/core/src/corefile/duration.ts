import type { Duration } from '../units.js';

// One component: a number (integer or decimal) and a unit. Go's time.ParseDuration, minus ns/us.
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)/y;
const BARE = /^(\d+(?:\.\d*)?|\.\d+)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `500ms`, `30s`, `5m`, `1h`, `1h30m`, `1.5s`; a bare number is seconds.
 * Returns whole milliseconds (rounded), or undefined when the text is not a duration.
 * Negative durations are not durations here.
 */
export function parseDuration(text: string): Duration | undefined {
  if (BARE.test(text)) return Math.round(Number(text) * 1000);
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Math.round(total);
}

/** The shortest readable form of a duration, for messages: 1h30m, 1.5s, 500ms, 0s. */
export function formatDuration(ms: Duration): string {
  if (ms === 0) return '0s';
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h > 0) out += `${h}h`;
  if (m > 0) out += `${m}m`;
  if (rest > 0) out += h === 0 && m === 0 && rest < 1000 ? `${rest}ms` : `${rest / 1000}s`;
  return out;
}
