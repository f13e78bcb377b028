import { definePlugin, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { CacheStore } from '@dnsmesh/cache';
import { ServeStalePlugin } from './handler.js';
import { resolveOptions, type ServeStaleInput, type ServeStaleOptions } from './options.js';
import { parse } from './setup.js';

export { ServeStalePlugin } from './handler.js';
export { DEFAULTS, LIMITS, EDE_STALE_ANSWER, resolveOptions, type ServeStaleInput, type ServeStaleOptions } from './options.js';
export { judge, type RefreshVerdict } from './refresh.js';
export { parse } from './setup.js';

/**
 * Builds serve_stale inside a server block, on the block's cache store (the cache must be created
 * first), and makes the store keep expired entries for at least `maxStale`.
 */
export function createServeStale(options: ServeStaleOptions, block: ServerBlock): Plugin {
  const store = block.get(CacheStore, 'serve_stale');
  store.keepStale = Math.max(store.keepStale, options.maxStale);
  return new ServeStalePlugin(store, options, block.clock);
}

/**
 * serve_stale for code composition: place it before prefetch and cache. Durations in ms, `replyTtl` in seconds.
 *
 * @example
 * createServer({ plugins: [serveStale({ maxStale: 3_600_000, clientTimeout: 500 }), cache(), forward({ to: ['127.0.0.1:8600'] })] });
 */
export function serveStale(input: ServeStaleInput = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return function serveStale(block: ServerBlock): Plugin {
    return createServeStale(options, block);
  };
}

export default definePlugin<ServeStaleOptions>({
  name: 'serve_stale',
  core: '^0.1.0',
  needs: ['cache'],
  parse,
  create: createServeStale,
});
