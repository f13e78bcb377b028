import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CorefileError, type Directive } from '@dnsmesh/core';
import { DEFAULTS, MAX_TTL, type HostsOptions } from './options.js';
import { HostsTable } from './table.js';

/** The reload interval's upper bound: a day. */
const MAX_RELOAD = 86_400_000;

/**
 * `hosts [FILE [ZONES...]] { ADDRESS NAME... ; ttl SECONDS ; no_reverse ; reload DURATION ; fallthrough [ZONES...] }`
 * -> HostsOptions. Without FILE, /etc/hosts (as CoreDNS); a relative FILE is taken from the
 * directory of the Corefile that names it. The file is read here, at load time, so a bad line
 * fails the Corefile with the file's own FILE:LINE. A FILE given that cannot be read fails too;
 * a missing /etc/hosts is an empty file (read again when it appears).
 */
export function parse(d: Directive): HostsOptions {
  const [fileArg, ...zoneArgs] = d.args;
  const file = fileArg === undefined ? DEFAULTS.file : resolve(dirname(d.file), fileArg.text);
  const shown = fileArg?.text ?? DEFAULTS.file;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (fileArg !== undefined || code !== 'ENOENT') throw (fileArg ?? d.name).fail(`cannot read ${shown}: ${code ?? (err as Error).message}`);
  }
  const table = new HostsTable();
  table.addText(text, (line, message) => new CorefileError(message, shown, line, 'hosts'));
  let ttl = DEFAULTS.ttl as number;
  let reverse: boolean = DEFAULTS.reverse;
  let reload: number = DEFAULTS.reload;
  let fallthrough: string[] = [];
  const inline: [string, string[]][] = [];
  for (const p of d.block) {
    switch (p.name.text) {
      case 'ttl': ttl = p.expectArgs(1, 1)[0]!.int({ min: 0, max: MAX_TTL }); break;
      case 'no_reverse': p.expectArgs(0, 0); reverse = false; break;
      case 'reload': reload = p.expectArgs(1, 1)[0]!.duration({ min: 0, max: MAX_RELOAD }); break;
      case 'fallthrough': fallthrough = p.args.length > 0 ? p.args.map((a) => a.zone()) : ['.']; break;
      default: {
        // Anything else is an inline entry: ADDRESS NAME...
        const names = p.args.map((a) => a.text);
        try {
          table.add(p.name.text, names);
        } catch (err) {
          const message = (err as Error).message;
          throw p.fail(message.startsWith('expected an IP') ? `unknown property '${p.name.text}' (nor an IP address)` : message);
        }
        inline.push([p.name.text, names]);
      }
    }
  }
  const zones = zoneArgs.length > 0 ? zoneArgs.map((z) => z.zone()) : d.serverZones;
  return { table, file, inline, reload, zones, ttl, reverse, fallthrough };
}
