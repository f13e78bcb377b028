import { readFileSync } from 'node:fs';
import { canonicalName, type Duration, type Ttl } from '@dnsmesh/core';
import { HostsTable } from './table.js';

/** What `hosts` does, from a Corefile or from code. */
export interface HostsOptions {
  /** The names and addresses it answers for (the file's, then the inline entries). */
  readonly table: HostsTable;
  /** The hosts file (absolute), read again every `reload` when it changed; undefined: none. */
  readonly file: string | undefined;
  /** The inline entries, added after the file's on every read. */
  readonly inline: readonly (readonly [string, readonly string[]])[];
  /** How often the file is checked for changes (ms); 0: never. */
  readonly reload: Duration;
  /** Zones it is authoritative for (canonical); names outside pass on. Default: the server block's. */
  readonly zones: readonly string[];
  /** TTL of every record it writes. */
  readonly ttl: Ttl;
  /** Answer PTR queries for the listed addresses. */
  readonly reverse: boolean;
  /** Zones where a name it does not list goes on down the chain instead of NXDOMAIN; [] = nowhere. */
  readonly fallthrough: readonly string[];
}

export const DEFAULTS = { ttl: 3600, reverse: true, reload: 5000, file: '/etc/hosts' } as const;
export const MAX_TTL = 65535;

/** The options for code composition: entries inline (`{ '10.0.0.7': ['db.test'] }`) and/or a hosts file. */
export interface HostsInput {
  readonly entries?: Readonly<Record<string, readonly string[]>>;
  /** A hosts file to read now. */
  readonly file?: string;
  readonly zones?: readonly string[];
  readonly ttl?: Ttl;
  readonly reverse?: boolean;
  /** How often to check the file for changes (ms); default 0 in code (never). */
  readonly reload?: Duration;
  /** true: every zone; a list: those zones. */
  readonly fallthrough?: boolean | readonly string[];
}

/** Checks code input with the Corefile's limits; TypeErrors name the option. `blockZones` fill in the zones. */
export function resolveOptions(input: HostsInput, blockZones: readonly string[]): HostsOptions {
  const ttl = input.ttl ?? DEFAULTS.ttl;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new TypeError(`hosts: ttl must be an integer between 0 and ${MAX_TTL}, got ${ttl}`);
  const table = new HostsTable();
  if (input.file !== undefined) {
    table.addText(readFileSync(input.file, 'utf8'), (line, message) => new TypeError(`hosts: ${input.file}:${line}: ${message}`));
  }
  const inline = Object.entries(input.entries ?? {});
  for (const [address, names] of inline) {
    try {
      table.add(address, names);
    } catch (err) {
      throw new TypeError(`hosts: entries: ${(err as Error).message}`);
    }
  }
  const zones = (input.zones ?? blockZones).map(canonicalName);
  const fall = input.fallthrough;
  const reload = input.reload ?? 0;
  if (!Number.isInteger(reload) || reload < 0) throw new TypeError(`hosts: reload must be a whole number of ms >= 0, got ${reload}`);
  return {
    table, file: input.file, inline, reload, zones, ttl, reverse: input.reverse ?? DEFAULTS.reverse,
    fallthrough: fall === true ? ['.'] : fall === false || fall === undefined ? [] : fall.map(canonicalName),
  };
}
