import { definePlugin, publishMetric, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { HostsPlugin } from './handler.js';
import { resolveOptions, type HostsInput, type HostsOptions } from './options.js';
import { HostsFileWatch } from './reload.js';
import { parse } from './setup.js';

export { HostsPlugin, HostsCounts } from './handler.js';
export { HostsTable, reverseName, expandIPv6, type HostEntry } from './table.js';
export { DEFAULTS, MAX_TTL, resolveOptions, type HostsInput, type HostsOptions } from './options.js';
export { parse } from './setup.js';
export { HostsFileWatch } from './reload.js';

/** Builds hosts in a server block and publishes its counters there (at 0 from the start). */
export function createHosts(options: HostsOptions, block: ServerBlock): Plugin {
  const plugin = new HostsPlugin(options);
  const server = block.serverLabel;
  const c = plugin.counts;
  let off: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  block.onStart(async () => {
    if (options.file !== undefined && options.reload > 0) {
      const watch = new HostsFileWatch(options);
      await watch.init();
      timer = setInterval(() => {
        watch.check().then(
          (table) => { if (table !== undefined) { plugin.table = table; block.logger.info({ file: options.file, names: table.size }, 'hosts: file read again'); } },
          (err: Error) => block.logger.warn({ file: options.file, error: err.message }, `hosts: file not read again, keeping the entries it has: ${err.message}`),
        );
      }, options.reload);
      timer.unref();
    }
    off = [
      publishMetric(block.metrics, 'gauge', 'dnsmesh_hosts_entries', 'Names the hosts plugin answers for.', ['server'], () => [[{ server }, plugin.table.size]]),
      publishMetric(block.metrics, 'counter', 'dnsmesh_hosts_responses_total', 'Replies written by the hosts plugin, by rcode.', ['server', 'rcode'],
        () => [[{ server, rcode: 'NOERROR' }, c.answers], [{ server, rcode: 'NXDOMAIN' }, c.nxdomain]]),
    ];
  });
  block.onStop(() => { if (timer !== undefined) clearInterval(timer); for (const fn of off) fn(); });
  return plugin;
}

/**
 * hosts for code composition: `createServer({ plugins: [hosts({ entries: { '10.0.0.7': ['db.test'] } }), forward(...)] })`.
 * Checked once, here; the zones default to the server block's.
 */
export function hosts(input: HostsInput): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input, []);
  return function hosts(block: ServerBlock): Plugin {
    return createHosts(input.zones === undefined ? { ...options, zones: block.zones } : options, block);
  };
}

export default definePlugin<HostsOptions>({
  name: 'hosts',
  core: '^0.1.0',
  parse,
  create: createHosts,
});
