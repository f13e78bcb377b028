import { CacheStore } from '@dnsmesh/cache';
import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { NorecPlugin, type NorecMode } from './handler.js';
import { parse } from './setup.js';

export { NorecPlugin, NorecCounts, type NorecMode } from './handler.js';
export { parse } from './setup.js';

/** Builds norec in a server block, on the block's cache store when there is one, and publishes its counters. */
export function createNorec(mode: NorecMode, block: ServerBlock): Plugin {
  const plugin = new NorecPlugin(mode, mode === 'cache' ? block.find(CacheStore) : undefined);
  const c = plugin.counts;
  let off: (() => void)[] = [];
  block.onStart(() => {
    const server = block.serverLabel; // read at start: bind is applied after the chain's plugins are made
    off = [
      publishMetric(block.metrics, 'counter', 'dnsmesh_norec_refused_total', 'Queries without RD answered REFUSED.', ['server', 'mode'], () => [[{ server, mode }, c.refused]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_norec_passed_total', 'Queries without RD let through (to a fresh cache entry in cache mode).', ['server', 'mode'], () => [[{ server, mode }, c.passed]]),
    ];
  });
  block.onStop(() => { for (const fn of off) fn(); off = []; });
  return plugin;
}

/** norec for code composition: place it before cache (`norec('cache')` needs the cache made after it in the list). */
export function norec(mode: NorecMode = 'refuse'): (block: ServerBlock) => Plugin {
  if (!['refuse', 'cache', 'forward'].includes(mode)) throw new TypeError(`norec: mode must be refuse, cache or forward, got ${JSON.stringify(mode)}`);
  return function norec(block: ServerBlock): Plugin {
    return createNorec(mode, block);
  };
}

/** `norec refuse|cache|forward`: what queries without RD get. */
export default definePlugin<NorecMode>({
  name: 'norec',
  core: '^0.1.0',
  parse,
  create: createNorec,
});
