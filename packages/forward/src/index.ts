import { definePlugin, Token, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { ForwardPlugin } from './handler.js';
import { registerForwardMetrics } from './metrics.js';
import { resolveOptions, type ForwardInput, type ForwardOptions } from './options.js';
import { parse } from './setup.js';

export { ForwardPlugin, ForwardCounts } from './handler.js';
export { Upstream, UpstreamSet } from './upstream-set.js';
export { HealthProbe } from './health.js';
export { DEFAULTS, LIMITS, TIMEOUTS, POLICIES, parseUpstream, type ForwardOptions, type ForwardInput, type Policy } from './options.js';
export { parse } from './setup.js';

/** Builds forward inside a server block and publishes its metrics there (at 0 from now on). */
export function createForward(options: ForwardOptions, block: ServerBlock): Plugin {
  const plugin = new ForwardPlugin(options, block.timers);
  block.onStop(registerForwardMetrics(block.metrics, plugin));
  return plugin;
}

/**
 * forward for code composition: the Corefile's options and limits, checked once here.
 *
 * @example
 * await createServer({ port: 0, plugins: [cache(), forward({ to: ['127.0.0.1:8600'], policy: 'sequential' })] }).start();
 */
export function forward(input: ForwardInput): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input, (text) => new Token(text, 'code', 0).zone());
  return function forward(block: ServerBlock): Plugin {
    return createForward(options, block);
  };
}

export default definePlugin<ForwardOptions>({
  name: 'forward',
  repeatable: true,
  core: '^0.1.0',
  parse,
  create: createForward,
});
