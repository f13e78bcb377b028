import { definePlugin, type ServerBlock, type Plugin } from '@dnsmesh/core';
import { CachePlugin } from './handler.js';
import { registerCacheMetrics } from './metrics.js';
import { resolveOptions, type CacheOptions } from './options.js';
import { parse } from './setup.js';
import { CacheStore } from './store.js';

export { CachePlugin } from './handler.js';
export { CacheStore, CacheCounts, wholeNameKey } from './store.js';
export { CacheEntry, ENTRY_OVERHEAD, LAYOUT_OVERHEAD, type EntryKind } from './entry.js';
export { classify, type Verdict, type NotStored } from './classify.js';
export { scrub, type Scrubbed } from './scrub.js';
export { DEFAULTS, resolveOptions, type CacheOptions, type Tier } from './options.js';
export { parse } from './setup.js';

/** How often expired entries are swept (ms). */
const SWEEP_EVERY = 10_000;

/** Builds the cache in a server block: registers its store as the block's CacheStore service. */
export function createCache(options: CacheOptions, block: ServerBlock): Plugin {
  // On a reload the block that this one replaces hands its store over: the cache survives.
  const previous = block.previous?.find(CacheStore);
  const store = previous ?? new CacheStore(options);
  if (previous !== undefined) previous.reconfigure(options);
  block.provide(CacheStore, store);
  const plugin = new CachePlugin(store, options, block.clock, block.zones);
  let unpublish: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  block.onStart(() => {
    unpublish = registerCacheMetrics(block, store);
    timer = setInterval(() => store.sweep(block.clock.now()), SWEEP_EVERY).unref();
  });
  block.onStop(() => {
    unpublish?.();
    if (timer !== undefined) clearInterval(timer);
  });
  return plugin;
}

/**
 * The cache for code composition: `createServer({ plugins: [cache({ success: { minTtl: 5 } }), forward(...)] })`.
 * Same options and limits as the Corefile.
 */
export function cache(input: Parameters<typeof resolveOptions>[0] = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return (block) => createCache({ ...options, zones: input.zones ?? block.zones }, block);
}

export default definePlugin<CacheOptions>({
  name: 'cache',
  core: '^0.1.0',
  parse,
  create: createCache,
});
