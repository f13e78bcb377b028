import { definePlugin, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { mount, type Mounted } from '../http/listener.js';
import { QueryCounts } from './counters.js';
import { metricsRoute } from './http.js';
import { processMetrics, publishQueryMetrics } from './metrics.js';
import { PrometheusPlugin } from './plugin.js';
import { parse, resolveOptions, type PrometheusInput, type PrometheusOptions } from './setup.js';

export { PrometheusPlugin } from './plugin.js';
export { QueryCounts, ZoneCounts, MONITORED_TYPES, TYPE_LABELS } from './counters.js';
export { DURATION_BUCKETS, REQUESTS, RESPONSES, DURATION } from './metrics.js';
export { parse as parsePrometheus, type PrometheusOptions, type PrometheusInput } from './setup.js';

/**
 * Builds the prometheus plugin in a server block: its counters, published on the block's
 * registry when the block starts, and `/metrics` on its address (one HTTP server per address,
 * however many blocks name it).
 */
export function createPrometheus(options: PrometheusOptions, block: ServerBlock): Plugin {
  const counts = new QueryCounts(block.zones);
  const plugin = new PrometheusPlugin(counts, block.clock);
  let unpublish: (() => void) | undefined;
  let mounted: Mounted | undefined;
  block.onStart(async () => {
    processMetrics(block.metrics);
    unpublish = publishQueryMetrics(block, counts);
    mounted = await mount('prometheus', options.address, block, { '/metrics': metricsRoute });
  });
  block.onStop(async () => {
    unpublish?.();
    unpublish = undefined;
    await mounted?.unmount();
  });
  return plugin;
}

/**
 * prometheus for code composition; put it first:
 * `createServer({ plugins: [prometheusPlugin({ address: '127.0.0.1:9153' }), cache(), ...] })`.
 */
export function prometheusPlugin(input: PrometheusInput = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return (block) => createPrometheus(options, block);
}

/** `prometheus [ADDRESS]`: `/metrics`, and the request, response and duration metrics of the block. */
export const prometheus = definePlugin<PrometheusOptions>({
  name: 'prometheus',
  core: '^0.1.0',
  parse,
  create: createPrometheus,
});
