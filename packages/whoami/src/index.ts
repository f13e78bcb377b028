import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { WhoamiPlugin } from './handler.js';

export { WhoamiPlugin, WhoamiCounts } from './handler.js';
export { whoamiReply } from './answer.js';

export interface WhoamiOptions {
  /** The zones it answers for: the server block's. */
  readonly zones: readonly string[];
}

/** Builds whoami in a server block and publishes its counter. */
export function createWhoami(options: WhoamiOptions, block: ServerBlock): Plugin {
  const plugin = new WhoamiPlugin(options.zones);
  const server = block.serverLabel;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_whoami_responses_total', 'Replies written by whoami.', ['server'], () => [[{ server }, plugin.counts.answers]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

/** whoami for code composition: the last plugin of a block. */
export function whoami(): (block: ServerBlock) => Plugin {
  return function whoami(block: ServerBlock): Plugin {
    return createWhoami({ zones: block.zones }, block);
  };
}

export default definePlugin<WhoamiOptions>({
  name: 'whoami',
  core: '^0.1.0',
  parse(d) {
    d.expectArgs(0, 0);
    if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
    return { zones: d.serverZones };
  },
  create: createWhoami,
});
