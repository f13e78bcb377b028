import { logDrops, publishMetric, type DnsServer } from '@dnsmesh/core';
import type { Registry } from 'prom-client';
import { VERSION } from './version.js';

/** What the server-wide metrics read at scrape time: the running server and the reload counters. */
export interface ServerState {
  readonly server: DnsServer | undefined;
  readonly failedReloads: number;
  readonly hash: string;
}

/**
 * The metrics CoreDNS's dashboards and alerts look for that belong to the server rather than a
 * plugin: build_info, panics_total (chains that threw: the edge answered SERVFAIL), plugin_enabled
 * (per block, reload-aware), reload_failed_total and reload_version_info (the running Corefile's hash);
 * and dnsmesh's own log_dropped_total (log lines stdout could not take).
 */
export function publishServerMetrics(registry: Registry, state: () => ServerState): () => void {
  const offs = [
    publishMetric(registry, 'gauge', 'dnsmesh_build_info', 'A metric with a constant 1 value labelled by version and Node.js version.',
      ['version', 'nodeversion'], () => [[{ version: VERSION, nodeversion: process.version }, 1]], 'first'),
    publishMetric(registry, 'counter', 'dnsmesh_panics_total', 'Queries whose chain threw or rejected (a plugin bug or failure); the edge answered SERVFAIL.',
      [], () => [[{}, (state().server?.portCounts() ?? []).reduce((n, p) => n + p.stats.errors, 0)]]),
    publishMetric(registry, 'gauge', 'dnsmesh_plugin_enabled', 'A metric that indicates whether a plugin is enabled on a per server and zone basis.',
      ['server', 'zone', 'name'], function* () {
        for (const block of state().server?.blocks ?? []) {
          for (const zone of block.zones) for (const name of block.enabled) yield [{ server: block.serverLabel, zone, name }, 1];
        }
      }, 'first'),
    publishMetric(registry, 'counter', 'dnsmesh_reload_failed_total', 'Reloads that failed (the running configuration kept serving).',
      [], () => [[{}, state().failedReloads]]),
    publishMetric(registry, 'counter', 'dnsmesh_log_dropped_total', 'Log lines dropped: stdout too slow (reason="slow", more than 16 MiB waiting) or gone (reason="closed").',
      ['reason'], () => [[{ reason: 'slow' }, logDrops.slow], [{ reason: 'closed' }, logDrops.closed]]),
    publishMetric(registry, 'gauge', 'dnsmesh_reload_version_info', 'A metric with a constant 1 value labelled by the hash of the running Corefile (and its imports).',
      ['hash', 'value'], () => (state().hash === '' ? [] : [[{ hash: 'sha512', value: state().hash }, 1]]), 'first'),
  ];
  return () => { for (const off of offs) off(); };
}
