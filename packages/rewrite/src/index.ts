import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { RewritePlugin } from './handler.js';
import type { Rule } from './rules.js';
import { parse } from './setup.js';

export { RewritePlugin, RewriteCounts } from './handler.js';
export { applyName, type Rule, type NameRule, type TypeRule, type ClassRule, type TtlRule, type EdnsRule, type EdnsAction, type EdnsData, type EdnsVariable, type CnameRule, type RcodeRule, type NameMatch, type Mode } from './rules.js';
export { EdnsPlan, clientSubnet } from './edns.js';
export { readNameText, nameTextToWire } from './name-text.js';
export { parse } from './setup.js';

/** The block's rewrite plugin, which every `rewrite` line of the block adds its rule to. */
const RULES = Symbol.for('dnsmesh.rewrite.plugin');

/**
 * The first `rewrite` line of a block builds the plugin; the next ones add their rule to it (in
 * line order) and take no place of their own, so `stop` and `continue` span lines as in CoreDNS.
 */
export function createRewrite(rule: Rule, block: ServerBlock): Plugin | undefined {
  const existing = block.find<RewritePlugin>(RULES);
  // The loader creates a block's plugins in reverse chain order, so repeats of a directive come
  // last line first: each earlier line's rule goes in front (the binary tests check the order).
  if (existing !== undefined) { existing.rules.unshift(rule); return undefined; }
  const plugin = new RewritePlugin([rule]);
  block.provide(RULES, plugin);
  const server = block.serverLabel;
  let offs: (() => void)[] = [];
  block.onStart(() => {
    const counter = (name: string, help: string, read: () => number) => publishMetric(block.metrics, 'counter', name, help, ['server'], () => [[{ server }, read()]]);
    offs = [
      counter('dnsmesh_rewrite_queries_total', 'Queries a rewrite rule matched.', () => plugin.counts.rewritten),
      counter('dnsmesh_rewrite_edns0_total', 'Queries sent on with EDNS options a rewrite edns0 rule set.', () => plugin.counts.ednsSet),
      counter('dnsmesh_rewrite_cname_lookups_total', 'Lookups of a CNAME target a rewrite cname rule rewrote.', () => plugin.counts.cnameLookups),
    ];
  });
  block.onStop(() => { for (const off of offs) off(); });
  return plugin;
}

/** rewrite for code composition: the rules in order; place it after cache. */
export function rewrite(rules: readonly Rule[]): (block: ServerBlock) => Plugin {
  return function rewrite(): Plugin {
    return new RewritePlugin([...rules]);
  };
}

export default definePlugin<Rule>({
  name: 'rewrite',
  core: '^0.1.0',
  repeatable: true,
  parse,
  create: createRewrite,
});
