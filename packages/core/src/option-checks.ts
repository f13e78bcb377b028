/** A closed range of allowed values. */
export interface Range { readonly min: number; readonly max: number }

/** What `optionChecks` gives a plugin's `resolveOptions`: each throws a TypeError naming the option. */
export interface OptionChecks {
  bad(option: string, message: string): never;
  /** An integer within the range. */
  intIn(option: string, value: unknown, range: Range): number;
  /** Milliseconds within the range (rounded). */
  msIn(option: string, value: unknown, range: Range): number;
  /** A zone name, canonical (through the caller's `zone`, the Corefile's own normaliser). */
  zoneOf(option: string, text: unknown): string;
}

/**
 * The checks a plugin runs on options given in code (not from a Corefile, whose parser has its own
 * FILE:LINE errors), with the same limits: `forward: expire: expected milliseconds from 0 to ...`.
 */
export function optionChecks(plugin: string, zone: (text: string) => string): OptionChecks {
  const bad = (option: string, message: string): never => { throw new TypeError(`${plugin}: ${option}: ${message}`); };
  return {
    bad,
    intIn: (option, value, range) =>
      typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max
        ? value : bad(option, `expected an integer from ${range.min} to ${range.max}, got ${String(value)}`),
    msIn: (option, value, range) =>
      typeof value === 'number' && Number.isFinite(value) && value >= range.min && value <= range.max
        ? Math.round(value) : bad(option, `expected milliseconds from ${range.min} to ${range.max}, got ${String(value)}`),
    zoneOf: (option, text) => {
      if (typeof text !== 'string') return bad(option, `expected a zone name, got ${JSON.stringify(text)}`);
      try { return zone(text); } catch (err) { return bad(option, (err as { detail?: string }).detail ?? (err as Error).message); }
    },
  };
}
