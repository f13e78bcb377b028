import { isIP, isIPv6 } from 'node:net';
import type { Duration } from '../units.js';
import { CorefileError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { toZone } from './zone.js';

export interface Range {
  min?: number;
  max?: number;
}

const INT = /^-?\d+$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const HOSTNAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i;

/**
 * One word of a Corefile, with where it was written. Setup code checks values through the
 * token (`int`, `duration`, `zone`, `fail`...), so every error names FILE:LINE and the directive.
 */
export class Token {
  /** The directive this token belongs to, set by the parser ('' for server block keys). */
  directive = '';

  constructor(
    readonly text: string,
    readonly file: string,
    readonly line: number,
    readonly quoted: boolean = false,
  ) {}

  /** An error at this token's file:line, naming its directive. Throw it: `throw tok.fail('...')`. */
  fail(message: string): CorefileError {
    return new CorefileError(message, this.file, this.line, this.directive || undefined);
  }

  isInt(): boolean {
    return INT.test(this.text) && Number.isSafeInteger(Number(this.text));
  }

  int(opts: Range = {}): number {
    const n = this.isInt() ? Number(this.text) : NaN;
    if (inRange(n, opts)) return n;
    throw this.fail(`expected an integer${rangeText(opts, String)}, got '${this.text}'`);
  }

  /** Milliseconds. `500ms`, `30s`, `5m`, `1h`, `1h30m`, `1.5s`; a bare number is seconds. */
  duration(opts: Range = {}): Duration {
    const ms = parseDuration(this.text);
    if (ms !== undefined && inRange(ms, opts)) return ms;
    const like = ms === undefined ? ' (like 500ms, 30s, 5m, 1h)' : '';
    throw this.fail(`expected a duration${rangeText(opts, formatDuration)}${like}, got '${this.text}'`);
  }

  /** `10%` gives 10; the `%` is required. The range defaults to 0..100. */
  percent(opts: Range = {}): number {
    const range = { min: opts.min ?? 0, max: opts.max ?? 100 };
    const m = PERCENT.exec(this.text);
    const n = m ? Number(m[1]) : NaN;
    if (inRange(n, range)) return n;
    throw this.fail(`expected a percentage${rangeText(range, (v) => `${v}%`)} (like 10%), got '${this.text}'`);
  }

  /** The canonical zone: lower case, trailing dot; a CIDR on a label boundary gives its reverse zone. */
  zone(): string {
    try {
      return toZone(this.text);
    } catch (err) {
      throw this.fail((err as Error).message);
    }
  }

  /**
   * `127.0.0.1:53`, `[::1]:53`, `::1`, `127.0.0.1` (default port), `localhost:9153`,
   * `:9153` (host ''). The host comes back without brackets.
   */
  hostPort(defaultPort: number): { host: string; port: number } {
    const hp = splitHostPort(this.text, defaultPort);
    if (hp === undefined) throw this.fail(`expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got '${this.text}'`);
    return hp;
  }

  toString(): string {
    return this.text;
  }
}

function inRange(n: number, { min, max }: Range): boolean {
  return !Number.isNaN(n) && (min === undefined || n >= min) && (max === undefined || n <= max);
}

function rangeText({ min, max }: Range, show: (n: number) => string): string {
  if (min !== undefined && max !== undefined) return ` between ${show(min)} and ${show(max)}`;
  if (min !== undefined) return ` of at least ${show(min)}`;
  if (max !== undefined) return ` of at most ${show(max)}`;
  return '';
}

function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!isIPv6(host) || (rest !== '' && !rest.startsWith(':'))) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
  } else if (isIPv6(text)) {
    host = text; // bare IPv6: every colon belongs to the address
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (host === '' ? portText === undefined : !(isIP(host) || HOSTNAME.test(host))) return undefined;
  }
  if (portText === undefined) return { host, port: defaultPort };
  const port = parsePort(portText);
  return port === undefined ? undefined : { host, port };
}

/** 0..65535 (0 asks for an ephemeral port, which tests use). */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}
