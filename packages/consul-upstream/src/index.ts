import { CacheStore } from '@dnsmesh/cache';
import { definePlugin, Token, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { ConsulDnsPlugin } from './dns-mode.js';
import { ConsulPlugin } from './handler.js';
import { ConsulCounts, registerConsulMetrics } from './metrics.js';
import { resolveOptions, type ConsulInput, type ConsulOptions } from './options.js';
import { parse } from './setup.js';

export { ConsulPlugin, type ConsulPluginDeps } from './handler.js';
export { ConsulDnsPlugin } from './dns-mode.js';
export { ConsulCatalog } from './catalog.js';
export { Watch, realTimers, type WatchTimers, type WatchDeps, type WatchConfig } from './watch.js';
export { ConsulHttp, HttpTimeout, type HttpGet, type HttpResult } from './http.js';
export { ConsulCounts, registerConsulMetrics, OUTCOMES, type Outcome } from './metrics.js';
export { parseName, type ConsulName } from './names.js';
export { healthView, nodeView, type View, type Instance, type NodeInfo } from './view.js';
export {
  DEFAULTS, LIMITS, DNS_TIMEOUT, resolveOptions, parseHttpUrl, parseDnsAddress,
  type ConsulOptions, type ConsulInput, type ConsulSource, type HttpBase,
} from './options.js';
export { parse } from './setup.js';

/**
 * Builds consul inside a server block and publishes its metrics there (at 0 from now on). In
 * catalog mode it finds the block's cache store at start (the cache is created after consul,
 * being before it in the chain) to drop the names whose answers change.
 */
export function createConsul(options: ConsulOptions, block: ServerBlock): Plugin {
  const counts = new ConsulCounts();
  block.onStop(registerConsulMetrics(block.metrics, counts));
  if (options.source.mode === 'dns') return new ConsulDnsPlugin(options, counts);
  return new ConsulPlugin(options, {
    clock: block.clock, logger: block.logger, counts, findStore: () => block.find(CacheStore),
  });
}

/**
 * consul for code composition: the Corefile's options (and a few only code sets: wait, firstWait,
 * backoff, rateInterval), checked once here.
 *
 * @example
 * await createServer({ port: 0, plugins: [cache(), consul({ http: 'http://127.0.0.1:8500', ttl: 5 })] }).start();
 */
export function consul(input: ConsulInput): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input, (text) => new Token(text, 'code', 0).zone());
  return function consul(block: ServerBlock): Plugin {
    return createConsul(options, block);
  };
}

export default definePlugin<ConsulOptions>({
  name: 'consul',
  core: '^0.1.0',
  parse,
  create: createConsul,
});
