import type { Directive, Token } from '@dnsmesh/core';
import type { DestinationStream } from 'pino';

/** CoreDNS's response classes: success (NOERROR with records), denial (NXDOMAIN, NODATA), error (the rest). */
export type LogClass = 'success' | 'denial' | 'error';
export const CLASSES: readonly LogClass[] = ['success', 'denial', 'error'];

export interface LogOptions {
  /** Log queries for names under these zones ('.' = every name the block takes). */
  readonly names: readonly string[];
  /** Which replies to log. */
  readonly classes: ReadonlySet<LogClass>;
  /** Where lines go; default stdout (asynchronous, flushed on exit). */
  readonly destination?: DestinationStream;
}

export const DEFAULTS: LogOptions = { names: ['.'], classes: new Set(CLASSES) };

/**
 * `log [NAMES...] [FORMAT] { class all|denial|error|success... }` (CoreDNS's syntax). Lines are
 * always JSON; a CoreDNS FORMAT (an argument with `{`, such as `{common}`) or `json` is accepted
 * and does not change them.
 */
export function parse(d: Directive): LogOptions {
  const args = d.args.slice();
  const last = args[args.length - 1];
  if (last !== undefined && (last.text.includes('{') || last.text === 'json')) args.pop();
  const names = args.length > 0 ? args.map((a) => a.zone()) : DEFAULTS.names;
  let classes: Set<LogClass> | undefined;
  for (const p of d.block) {
    switch (p.name.text) {
      case 'class':
        classes ??= new Set();
        for (const t of p.expectArgs(1)) for (const c of classOf(t)) classes.add(c);
        break;
      default: throw p.fail(`unknown property '${p.name.text}'`);
    }
  }
  return { names, classes: classes ?? DEFAULTS.classes };
}

function classOf(t: Token): readonly LogClass[] {
  if (t.text === 'all') return CLASSES;
  if ((CLASSES as readonly string[]).includes(t.text)) return [t.text as LogClass];
  throw t.fail(`class takes all, denial, error or success, got '${t.text}'`);
}

export interface LogInput {
  /** Zones whose names are logged; default every name. */
  readonly names?: readonly string[];
  /** Default all. */
  readonly classes?: readonly (LogClass | 'all')[];
  /** Where lines go (any `{ write(line) }`); default stdout. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
}

export function resolveOptions(input: LogInput = {}): LogOptions {
  const names = (input.names ?? DEFAULTS.names).map(canonical);
  let classes = DEFAULTS.classes;
  if (input.classes !== undefined) {
    const set = new Set<LogClass>();
    for (const c of input.classes) {
      if (c === 'all') CLASSES.forEach((x) => set.add(x));
      else if (CLASSES.includes(c)) set.add(c);
      else throw new TypeError(`log: classes takes all, denial, error or success, got '${String(c)}'`);
    }
    classes = set;
  }
  return { names, classes, destination: input.destination };
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower === '.' || lower.endsWith('.') ? lower : `${lower}.`;
}
