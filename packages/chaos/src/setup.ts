import type { Directive } from '@dnsmesh/core';
import { DEFAULT_AUTHORS, type ChaosOptions } from './options.js';

/** `chaos [VERSION] [AUTHORS...]` -> ChaosOptions (as CoreDNS: quote a VERSION or AUTHOR with spaces). */
export function parse(d: Directive): ChaosOptions {
  if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
  const [version, ...authors] = d.args.map((a) => a.text);
  for (const a of d.args) if (Buffer.byteLength(a.text) > 255) throw a.fail('a TXT string holds at most 255 bytes');
  return { version, authors: authors.length > 0 ? authors : DEFAULT_AUTHORS, hostname: undefined };
}
