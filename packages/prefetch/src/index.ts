import { definePlugin, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { CacheStore } from '@dnsmesh/cache';
import { PrefetchPlugin } from './handler.js';
import { resolveOptions, type PrefetchInput, type PrefetchOptions } from './options.js';
import { parse } from './setup.js';

export { PrefetchPlugin, PrefetchCounts } from './handler.js';
export { DEFAULTS, LIMITS, RETRY_SPACING, resolveOptions, type PrefetchInput, type PrefetchOptions } from './options.js';
export { parse } from './setup.js';

/** Builds prefetch inside a server block, on the block's cache store (the cache must be created first). */
export function createPrefetch(options: PrefetchOptions, block: ServerBlock): Plugin {
  return new PrefetchPlugin(block.get(CacheStore, 'prefetch'), options, block.clock);
}

/**
 * prefetch for code composition: place it before the cache.
 *
 * @example
 * createServer({ plugins: [prefetch({ amount: 2, duration: 60_000, percentage: 10 }), cache(), forward({ to: ['127.0.0.1:8600'] })] });
 */
export function prefetch(input: PrefetchInput): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return function prefetch(block: ServerBlock): Plugin {
    return createPrefetch(options, block);
  };
}

export default definePlugin<PrefetchOptions>({
  name: 'prefetch',
  core: '^0.1.0',
  needs: ['cache'],
  parse,
  create: createPrefetch,
});
