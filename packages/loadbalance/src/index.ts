import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { LoadbalancePlugin } from './handler.js';
import { DEFAULTS, type LoadbalanceOptions } from './options.js';
import { parse } from './setup.js';
import type { Pick } from './shuffle.js';
import { watchWeights } from './watch.js';

export { LoadbalancePlugin, LoadbalanceCounts } from './handler.js';
export { shuffleReply, hasShufflable, permutation, pointsInto, randomPick, type Pick } from './shuffle.js';
export { DEFAULTS, DEFAULT_RELOAD, type LoadbalanceOptions } from './options.js';
export { weightedReply } from './weighted.js';
export { preferReply } from './prefer.js';
export { parseWeights, canonicalAddress, type WeightTable } from './weights.js';
export { parse } from './setup.js';

/** Builds loadbalance in a server block and publishes its counter (at 0 from the start). */
export function createLoadbalance(options: LoadbalanceOptions, block: ServerBlock, pick?: Pick): Plugin {
  const plugin = new LoadbalancePlugin(pick, options.policy === 'weighted' ? options.weights : undefined, options.prefer ?? []);
  const server = block.serverLabel;
  let offs: (() => void)[] = [];
  let stopWatch: (() => void) | undefined;
  block.onStart(async () => {
    if (options.policy === 'weighted' && options.reload > 0) {
      stopWatch = await watchWeights(options.file, options.reload, (table) => { plugin.weights = table; },
        (message) => block.logger.warn({ file: options.file }, `loadbalance: weight file not read again, keeping the weights it has: ${message}`));
    }
    offs = [
      publishMetric(block.metrics, 'counter', 'dnsmesh_loadbalance_shuffled_total', 'Replies whose A, AAAA or MX records loadbalance put in a new order.', ['server'],
        () => [[{ server }, plugin.counts.shuffled]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_loadbalance_preferred_total', 'Replies whose A or AAAA records loadbalance prefer moved (addresses of the listed networks first).', ['server'],
        () => [[{ server }, plugin.counts.preferred]]),
    ];
  });
  block.onStop(() => { stopWatch?.(); for (const off of offs) off(); });
  return plugin;
}

/** loadbalance for code composition: place it before cache. `pick` is for tests (a seeded random). */
export function loadbalance(options: LoadbalanceOptions = DEFAULTS, pick?: Pick): (block: ServerBlock) => Plugin {
  if (options.policy !== 'round_robin' && options.policy !== 'weighted') throw new TypeError(`loadbalance: policy must be 'round_robin' or 'weighted', got ${JSON.stringify((options as { policy: unknown }).policy)}`);
  return function loadbalance(block: ServerBlock): Plugin {
    return createLoadbalance(options, block, pick);
  };
}

export default definePlugin<LoadbalanceOptions>({
  name: 'loadbalance',
  core: '^0.1.0',
  parse,
  create: (options, block) => createLoadbalance(options, block),
});
