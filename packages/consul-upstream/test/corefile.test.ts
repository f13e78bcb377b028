import cacheDef from '@dnsmesh/cache';
import { DnsServer, loadBlocks, parseCorefile, PluginRegistry, systemClock } from '@dnsmesh/core';
import { dig, query } from '@dnsmesh/testkit';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import consulDef from '../src/index.js';
import { sim, until } from './helpers.js';

const servers: DnsServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.stop(0); });
/** Each server's block metrics (where consul publishes its counters). */
const blockMetrics = new WeakMap<DnsServer, Registry>();

/** Loads a Corefile with cache and consul (the server's order: cache before consul) and starts it on port 0. */
async function serve(text: string, env: Record<string, string> = {}): Promise<DnsServer> {
  const registry = new PluginRegistry(['cache', 'consul']);
  registry.register(cacheDef);
  registry.register(consulDef);
  const metrics = new Registry();
  const blocks = await loadBlocks(parseCorefile(text, 'Corefile', { env }), {
    registry, clock: systemClock, logger: pino({ level: 'silent' }), metrics, defaultPort: 0,
  });
  for (const b of blocks) b.bind = ['127.0.0.1'];
  const server = await new DnsServer(blocks, systemClock, pino({ level: 'silent' }), new Registry()).start();
  servers.push(server);
  blockMetrics.set(server, metrics);
  return server;
}

describe('consul from a Corefile', () => {
  it('finds the block\'s cache at start, so a change drops the cached answers (token from the environment)', async () => {
    const s = await sim({ acl: { tokens: { t0k3n: 'all' } } });
    const server = await serve(`consul.:0 {
      cache
      consul {
        http ${s.httpUrl}
        token {$CONSUL_HTTP_TOKEN}
      }
    }`, { CONSUL_HTTP_TOKEN: 't0k3n' });
    expect((await query(server.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    expect((await query(server.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    // The two feeds (a first read, then the blocking query, each) and one read of web; the cache answers the second lookup.
    expect(s.counters.http_requests.by_path['/v1/health/service/web']).toBe(1);
    expect(s.counters.http_requests.total).toBeLessThanOrEqual(5);
    s.deregisterService('web-1');
    await until(async () => (await query(server.address, 'web.service.consul', 'A')).answers.length === 2, 2000);
    // The cached answer (ttl 5 s) went because consul dropped it from the cache it found at start:
    // the change feed woke web's view, read again, and its new answers flushed the cached names.
    expect(s.counters.http_requests.by_path['/v1/health/service/web']).toBeGreaterThanOrEqual(2);
    const text = await blockMetrics.get(server)!.metrics();
    const counter = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(counter('dnsmesh_consul_feed_refetches_total')).toBeGreaterThanOrEqual(1);
    expect(counter('dnsmesh_consul_changes_total')).toBe(1);
    expect(counter('dnsmesh_consul_cache_flushes_total')).toBeGreaterThanOrEqual(1);
  });

  it('takes DNS mode from the Corefile', async () => {
    const s = await sim();
    const server = await serve(`consul.:0 {\n  consul {\n    dns ${s.dnsAddress}\n  }\n}`);
    expect((await query(server.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    expect(s.counters.dns_queries).toBe(1);
  });

  it('takes namespace, partition, translate_wan_addrs and catalog_feed from the Corefile (dig reads the answers)', async () => {
    const s = await sim({ enterprise: true }, false);
    s.registerNode({ name: 'n1', address: '10.1.0.1' });
    s.registerNode({ name: 'b1', address: '10.2.0.1', datacenter: 'dc2', taggedAddresses: { wan: '198.51.100.1', wan_ipv4: '198.51.100.1' } });
    s.registerService({ id: 'api-team', name: 'api', node: 'n1', port: 80, namespace: 'team', partition: 'eu' });
    s.registerService({ id: 'api-dc2', name: 'api', node: 'b1', port: 80, namespace: 'team', partition: 'eu' });
    const server = await serve(`consul.:0 {
      consul {
        http ${s.httpUrl}
        namespace team
        partition eu
        translate_wan_addrs
        catalog_feed false
      }
    }`);
    const [host, port] = server.address.split(':');
    const short = async (name: string): Promise<string> => (await dig(['@' + host, '-p', port!, name, 'A', '+short'])).trim();
    expect(await short('api.service.consul')).toBe('10.1.0.1');
    await until(async () => (await short('api.service.dc2.consul')) === '198.51.100.1', 2000);    // once /v1/agent/self told dc1
    expect(s.counters.http_requests.by_path['/v1/catalog/services']).toBeUndefined();
    expect(s.counters.blocking_waiters).toBeLessThanOrEqual(2);                                  // change feeds only
  });
});
