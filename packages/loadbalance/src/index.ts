import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { LoadbalancePlugin } from './handler.js';
import { DEFAULTS, type LoadbalanceOptions } from './options.js';
import { parse } from './setup.js';
import type { Pick } from './shuffle.js';

export { LoadbalancePlugin, LoadbalanceCounts } from './handler.js';
export { shuffleReply, hasShufflable, permutation, pointsInto, randomPick, type Pick } from './shuffle.js';
export { DEFAULTS, type LoadbalanceOptions } from './options.js';
export { parse } from './setup.js';

/** Builds loadbalance in a server block and publishes its counter (at 0 from the start). */
export function createLoadbalance(_options: LoadbalanceOptions, block: ServerBlock, pick?: Pick): Plugin {
  const plugin = new LoadbalancePlugin(pick);
  const server = block.serverLabel;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_loadbalance_shuffled_total', 'Replies whose A, AAAA or MX records loadbalance put in a new order.', ['server'],
      () => [[{ server }, plugin.counts.shuffled]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

/** loadbalance for code composition: place it before cache. `pick` is for tests (a seeded random). */
export function loadbalance(options: Partial<LoadbalanceOptions> = {}, pick?: Pick): (block: ServerBlock) => Plugin {
  if (options.policy !== undefined && options.policy !== 'round_robin') throw new TypeError(`loadbalance: policy must be 'round_robin', got ${JSON.stringify(options.policy)}`);
  return function loadbalance(block: ServerBlock): Plugin {
    return createLoadbalance(DEFAULTS, block, pick);
  };
}

export default definePlugin<LoadbalanceOptions>({
  name: 'loadbalance',
  core: '^0.1.0',
  parse,
  create: (options, block) => createLoadbalance(options, block),
});
