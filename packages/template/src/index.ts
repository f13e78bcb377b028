import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { TemplatePlugin } from './handler.js';
import type { TemplateOptions } from './options.js';
import { parse } from './setup.js';

export { TemplatePlugin, TemplateCounts } from './handler.js';
export type { TemplateOptions } from './options.js';
export { parseRecord } from './rr-text.js';
export { parse } from './setup.js';

/** Builds one template in a server block and publishes its counters. */
export function createTemplate(options: TemplateOptions, block: ServerBlock): Plugin {
  const plugin = new TemplatePlugin(options);
  const server = block.serverLabel;
  const c = plugin.counts;
  let off: (() => void) | undefined;
  block.onStart(() => {
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_template_matches_total', 'Queries a template answered, by result (answered, or failed: a rendered record did not parse).', ['server', 'result'],
      () => [[{ server, result: 'answered' }, c.answers], [{ server, result: 'failed' }, c.failures]]);
  });
  block.onStop(() => off?.());
  return plugin;
}

export default definePlugin<TemplateOptions>({
  name: 'template',
  core: '^0.1.0',
  repeatable: true,
  parse,
  create: createTemplate,
});
