import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { MinimalPlugin } from './handler.js';

export { MinimalPlugin, MinimalCounts } from './handler.js';
export { minimize } from './strip.js';

/** Builds minimal in a server block and publishes its counter. */
export function createMinimal(_options: Record<string, never>, block: ServerBlock): Plugin {
  const plugin = new MinimalPlugin();
  const server = block.serverLabel;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_minimal_stripped_total', 'Replies whose authority and additional sections minimal removed.', ['server'],
      () => [[{ server }, plugin.counts.stripped]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

/** minimal for code composition: place it after cache (what the cache stores is minimal too). */
export function minimal(): (block: ServerBlock) => Plugin {
  return (block) => createMinimal({}, block);
}

export default definePlugin<Record<string, never>>({
  name: 'minimal',
  core: '^0.1.0',
  parse(d) {
    d.expectArgs(0, 0);
    if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
    return {};
  },
  create: createMinimal,
});
