import { hostname } from 'node:os';
import { CLASS_CH, CORE_VERSION, definePlugin, publishMetric, SERVER_CONTROL, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { ChaosPlugin } from './handler.js';
import { DEFAULT_AUTHORS, type ChaosOptions } from './options.js';
import { parse } from './setup.js';

export { ChaosPlugin, ChaosCounts } from './handler.js';
export { DEFAULT_AUTHORS, type ChaosOptions } from './options.js';
export { parse } from './setup.js';

/**
 * Builds chaos in a server block: lets CH queries into the block's chain (the edge refuses them
 * elsewhere) and publishes its counters.
 */
export function createChaos(options: ChaosOptions, block: ServerBlock): Plugin {
  const serverVersion = block.find(SERVER_CONTROL)?.status().version ?? CORE_VERSION;
  const plugin = new ChaosPlugin(options.version ?? `dnsmesh-${serverVersion}`, options.authors, options.hostname ?? hostname());
  block.acceptClass(CLASS_CH);
  const server = block.serverLabel;
  const c = plugin.counts;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_chaos_responses_total', 'CH queries answered by chaos, by rcode.', ['server', 'rcode'],
      () => [[{ server, rcode: 'NOERROR' }, c.answers], [{ server, rcode: 'REFUSED' }, c.refused]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

/** chaos for code composition. */
export function chaos(input: Partial<ChaosOptions> = {}): (block: ServerBlock) => Plugin {
  const options: ChaosOptions = { version: input.version, authors: input.authors ?? DEFAULT_AUTHORS, hostname: input.hostname };
  return function chaos(block: ServerBlock): Plugin {
    return createChaos(options, block);
  };
}

export default definePlugin<ChaosOptions>({
  name: 'chaos',
  core: '^0.1.0',
  parse,
  create: createChaos,
});
