import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { AnyPlugin, type AnyScope } from './handler.js';
import { parse } from './setup.js';

export { AnyPlugin, AnyCounts, type AnyScope } from './handler.js';
export { hinfoReply, HINFO_TTL } from './hinfo.js';
export { parse } from './setup.js';

/** Builds any in a server block and publishes its counter while the block runs. */
export function createAny(scope: AnyScope, block: ServerBlock): Plugin {
  const plugin = new AnyPlugin(scope);
  let off: (() => void) | undefined;
  block.onStart(() => {
    const server = block.serverLabel; // read at start: bind is applied after the chain's plugins are made
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_any_answered_total', 'ANY queries answered with the RFC 8482 HINFO record.', ['server', 'scope'], () => [[{ server, scope }, plugin.counts.answered]]);
  });
  block.onStop(() => { off?.(); off = undefined; });
  return plugin;
}

/**
 * any for code composition: `anyPlugin()` answers every ANY query minimally; `anyPlugin('udp')`
 * only those over UDP (what the dnsmesh server does in a block without `any`).
 */
export function anyPlugin(scope: AnyScope = 'all'): (block: ServerBlock) => Plugin {
  if (scope !== 'all' && scope !== 'udp') throw new TypeError(`any: scope must be 'all' or 'udp', got ${JSON.stringify(scope)}`);
  return function any(block: ServerBlock): Plugin {
    return createAny(scope, block);
  };
}

/** `any`: every ANY query gets the RFC 8482 answer. */
export default definePlugin<Record<string, never>>({
  name: 'any',
  core: '^0.1.0',
  parse,
  create: (_options, block) => createAny('all', block),
});
