import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { TcpRetryPlugin } from './handler.js';

export { TcpRetryPlugin, TcpRetryCounts } from './handler.js';

/** Builds tcp_retry in a server block and publishes its counters. */
export function createTcpRetry(_options: Record<string, never>, block: ServerBlock): Plugin {
  const plugin = new TcpRetryPlugin();
  const server = block.serverLabel;
  const c = plugin.counts;
  let off: (() => void)[] = [];
  block.onStart(() => {
    off = [
      publishMetric(block.metrics, 'counter', 'dnsmesh_tcp_retry_total', 'Truncated UDP upstream replies asked again over TCP.', ['server'], () => [[{ server }, c.retries]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_tcp_retry_failures_total', 'TCP retries that failed or came back truncated.', ['server'], () => [[{ server }, c.failures]]),
    ];
  });
  block.onStop(() => { for (const fn of off) fn(); });
  return plugin;
}

/** tcp_retry for code composition: place it after cache and before forward. */
export function tcpRetry(): (block: ServerBlock) => Plugin {
  return (block) => createTcpRetry({}, block);
}

export default definePlugin<Record<string, never>>({
  name: 'tcp_retry',
  core: '^0.1.0',
  parse(d) {
    d.expectArgs(0, 0);
    if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
    return {};
  },
  create: createTcpRetry,
});
