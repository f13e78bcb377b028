import { defaultAccess } from '@dnsmesh/acl';
import { anyPlugin } from '@dnsmesh/any';
import type { Plugin, PluginRegistry, ServerBlock } from '@dnsmesh/core';
import { norec } from '@dnsmesh/norec';

/**
 * What the server adds to a block that lacks a directive, so every default is safe: without `acl`,
 * only loopback, private and link-local clients are answered; without `norec`, queries without RD
 * get REFUSED (Unbound's default: no cache snooping); without `any`, ANY over UDP gets the minimal
 * RFC 8482 answer. A block that names the directive gets exactly what it says.
 * (Servers composed in code with createServer get none of these: they choose their plugins.)
 */
const BLOCK_DEFAULTS: readonly (readonly [directive: string, make: (block: ServerBlock) => Plugin])[] = [
  ['acl', defaultAccess()],
  ['norec', norec('refuse')],
  ['any', anyPlugin('udp')],
];

/** Puts each missing default into each block's chain, at its directive's place in the order. */
export function applyBlockDefaults(blocks: readonly ServerBlock[], registry: PluginRegistry): void {
  for (const block of blocks) {
    let plugins = block.plugins;
    for (const [directive, make] of BLOCK_DEFAULTS) {
      if (plugins.some((p) => p.name === directive)) continue;
      const rank = registry.rank(directive);
      // Before the first plugin that comes later in the order (a plugin of unknown name is passed over).
      let at = plugins.findIndex((p) => registry.rank(p.name) > rank);
      if (at < 0) at = plugins.length;
      plugins = [...plugins.slice(0, at), make(block), ...plugins.slice(at)];
    }
    if (plugins !== block.plugins) block.setPlugins(plugins);
  }
}
