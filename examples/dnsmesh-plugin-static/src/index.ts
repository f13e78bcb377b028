import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { StaticPlugin } from './handler.js';
import { parse, type StaticOptions } from './setup.js';

export { StaticPlugin } from './handler.js';
export { parse, type StaticOptions } from './setup.js';

/** Builds static in a server block and publishes its counter (at 0 from the start). */
export function createStatic(options: StaticOptions, block: ServerBlock): Plugin {
  const plugin = new StaticPlugin(options);
  const server = block.serverLabel;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_static_responses_total', 'Replies written by the static plugin.', ['server'], () => [[{ server }, plugin.answered]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

export default definePlugin<StaticOptions>({
  name: 'static',
  order: { before: 'cache' }, // fixed answers need no cache
  core: '^0.1.0',
  parse,
  create: createStatic,
});
