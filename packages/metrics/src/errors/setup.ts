import type { Directive, Duration, Property } from '@dnsmesh/core';
import type { Logger } from 'pino';

/** CoreDNS's LEVEL names and the pino method each logs with. */
export const LEVELS = { warning: 'warn', error: 'error', info: 'info', debug: 'debug' } as const;
export type Level = (typeof LEVELS)[keyof typeof LEVELS];

/** `consolidate DURATION REGEXP [LEVEL] [show_first]`. */
export interface Consolidate {
  readonly duration: Duration;
  readonly pattern: RegExp;
  readonly level: Level;
  /** Log the first matching error at once, then count the rest. */
  readonly showFirst: boolean;
}

export interface ErrorsOptions {
  readonly consolidate: readonly Consolidate[];
  /** Add the error's stack to each line. */
  readonly stacktrace: boolean;
  /** Where errors go; default the server's logger (stderr in the dnsmesh binary). */
  readonly logger?: Logger;
}

export const DEFAULTS: ErrorsOptions = { consolidate: [], stacktrace: false };
/** CoreDNS's limit on a REGEXP. */
export const MAX_PATTERN = 10_000;

/** `errors [stdout] { stacktrace; consolidate DURATION REGEXP [LEVEL] [show_first] }`. */
export function parse(d: Directive): ErrorsOptions {
  const [to] = d.expectArgs(0, 1);
  if (to !== undefined && to.text !== 'stdout') throw to.fail(`errors are logged with the server's messages; the only argument CoreDNS takes is 'stdout', got '${to.text}'`);
  const consolidate: Consolidate[] = [];
  let stacktrace = false;
  for (const p of d.block) {
    switch (p.name.text) {
      case 'stacktrace': p.expectArgs(0, 0); stacktrace = true; break;
      case 'consolidate': consolidate.push(consolidateOf(p)); break;
      default: throw p.fail(`unknown property '${p.name.text}'`);
    }
  }
  return { consolidate, stacktrace };
}

function consolidateOf(p: Property): Consolidate {
  const [dur, re, ...rest] = p.expectArgs(2, 4);
  const duration = dur!.duration({ min: 1 });
  if (re!.text.length > MAX_PATTERN) throw re!.fail(`REGEXP is longer than ${MAX_PATTERN} characters`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(re!.text);
  } catch (err) {
    throw re!.fail(`invalid REGEXP '${re!.text}': ${(err as Error).message}`);
  }
  let level: Level = 'error';
  let showFirst = false;
  for (const [i, t] of rest.entries()) {
    if (t.text === 'show_first' && i === rest.length - 1) showFirst = true;
    else if (i === 0 && t.text in LEVELS) level = LEVELS[t.text as keyof typeof LEVELS];
    else throw t.fail(`consolidate takes LEVEL (warning, error, info or debug) then show_first, got '${t.text}'`);
  }
  return { duration, pattern, level, showFirst };
}

export interface ErrorsInput {
  readonly consolidate?: readonly {
    /** Milliseconds. */
    readonly duration: Duration;
    readonly pattern: RegExp | string;
    /** Default 'error'. */
    readonly level?: keyof typeof LEVELS;
    readonly showFirst?: boolean;
  }[];
  readonly stacktrace?: boolean;
  /** Default: the server's logger. */
  readonly logger?: Logger;
}

export function resolveOptions(input: ErrorsInput = {}): ErrorsOptions {
  const consolidate = (input.consolidate ?? []).map((c, i): Consolidate => {
    if (!Number.isFinite(c.duration) || c.duration <= 0) throw new TypeError(`errors: consolidate[${i}].duration must be a positive number of ms, got ${c.duration}`);
    const level = c.level ?? 'error';
    if (!(level in LEVELS)) throw new TypeError(`errors: consolidate[${i}].level must be warning, error, info or debug, got '${String(level)}'`);
    return { duration: c.duration, pattern: typeof c.pattern === 'string' ? new RegExp(c.pattern) : c.pattern, level: LEVELS[level], showFirst: c.showFirst ?? false };
  });
  return { consolidate, stacktrace: input.stacktrace ?? false, logger: input.logger };
}
