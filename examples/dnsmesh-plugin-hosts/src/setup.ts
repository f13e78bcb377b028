import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CorefileError, type Directive } from '@dnsmesh/core';
import { DEFAULTS, MAX_TTL, type HostsOptions } from './options.js';
import { HostsTable } from './table.js';

/**
 * `hosts [FILE [ZONES...]] { ADDRESS NAME... ; ttl SECONDS ; no_reverse ; fallthrough [ZONES...] }`
 * -> HostsOptions. The file is read here, at load time, so a bad line fails the Corefile with the
 * file's own FILE:LINE; a relative FILE is taken from the directory of the Corefile that names it.
 */
export function parse(d: Directive): HostsOptions {
  const [file, ...zoneArgs] = d.args;
  const table = new HostsTable();
  if (file !== undefined) {
    const path = resolve(dirname(d.file), file.text);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw file.fail(`cannot read ${file.text}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    table.addText(text, (line, message) => new CorefileError(message, file.text, line, 'hosts'));
  }
  let ttl = DEFAULTS.ttl as number;
  let reverse: boolean = DEFAULTS.reverse;
  let fallthrough: string[] = [];
  for (const p of d.block) {
    switch (p.name.text) {
      case 'ttl': ttl = p.expectArgs(1, 1)[0]!.int({ min: 0, max: MAX_TTL }); break;
      case 'no_reverse': p.expectArgs(0, 0); reverse = false; break;
      case 'fallthrough': fallthrough = p.args.length > 0 ? p.args.map((a) => a.zone()) : ['.']; break;
      default:
        // Anything else is an inline entry: ADDRESS NAME...
        try {
          table.add(p.name.text, p.args.map((a) => a.text));
        } catch (err) {
          const message = (err as Error).message;
          throw p.fail(message.startsWith('expected an IP') ? `unknown property '${p.name.text}' (nor an IP address)` : message);
        }
    }
  }
  const zones = zoneArgs.length > 0 ? zoneArgs.map((z) => z.zone()) : d.serverZones;
  return { table, zones, ttl, reverse, fallthrough };
}
