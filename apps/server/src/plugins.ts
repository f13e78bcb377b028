import { bindPlugin, PluginRegistry } from '@dnsmesh/core';
import cache from '@dnsmesh/cache';
import forward from '@dnsmesh/forward';
import tcpRetry from '@dnsmesh/truncation-tcp-retry';
import { definitions as metrics } from '@dnsmesh/metrics';
import prefetch from '@dnsmesh/prefetch';
import serveStale from '@dnsmesh/serve-stale';
import { ORDER } from './order.js';
import reload from './reload/setup.js';

/** The registry of every built-in plugin, in the server's order. */
export function builtinRegistry(): PluginRegistry {
  const registry = new PluginRegistry(ORDER);
  for (const def of [bindPlugin, cache, forward, tcpRetry, prefetch, serveStale, reload, ...metrics]) registry.register(def, 'built-in');
  return registry;
}
