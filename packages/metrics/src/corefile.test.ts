import { readFileSync } from 'node:fs';
import cacheDefinition, { CacheStore } from '@dnsmesh/cache';
import { bindPlugin, definePlugin, DnsServer, loadBlocks, manualClock, parseCorefile, PluginRegistry } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { answer, scrape, value } from '../test/helpers.js';
import { definitions, DURATION, httpUrl, REQUESTS, RESPONSES } from './index.js';

/** The server's order list (apps/server/src/order.ts), with a stand-in for forward. */
const ORDER = ['bind', 'health', 'ready', 'admin', 'reload', 'prometheus', 'log', 'errors', 'serve_stale', 'prefetch', 'cache', 'tcp_retry', 'consul', 'forward'];

function registry(): PluginRegistry {
  const r = new PluginRegistry(ORDER);
  for (const def of [bindPlugin, cacheDefinition, ...definitions]) r.register(def);
  r.register(definePlugin({ name: 'answer', order: { after: 'forward' }, parse: () => ({}), create: () => answer({ plugin: 'answer' }) }), 'test');
  return r;
}

async function load(text: string, file = 'Corefile') {
  const metrics = new Registry();
  const logger = pino({ level: 'silent' });
  const clock = manualClock();
  const blocks = await loadBlocks(parseCorefile(text, file), { registry: registry(), clock, logger, metrics, defaultPort: 0 });
  return new DnsServer(blocks, clock, logger, metrics);
}

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

describe('from a Corefile', () => {
  it('runs every directive: chain order, endpoints, metrics', async () => {
    server = await load(`.:0 {
    bind 127.0.0.1
    answer
    cache
    errors
    admin 127.0.0.1:0
    ready 127.0.0.1:0
    health 127.0.0.1:0
    prometheus 127.0.0.1:0
}
`);
    const block = server.blocks[0]!;
    expect(block.plugins.map((p) => p.name)).toEqual(['prometheus', 'errors', 'cache', 'answer']);
    await server.start();
    await query(server.address, 'web.test', 'A');
    await query(server.address, 'web.test', 'A');

    const { series } = await scrape(httpUrl(block, 'prometheus')!);
    expect(value(series, REQUESTS, { zone: '.', type: 'A', proto: 'udp' })).toBe(2);
    expect(value(series, RESPONSES, { rcode: 'NOERROR', plugin: 'cache' })).toBe(1);
    expect(value(series, RESPONSES, { rcode: 'NOERROR', plugin: 'answer' })).toBe(1);
    expect(value(series, `${DURATION}_count`)).toBe(2);
    expect(value(series, 'dnsmesh_cache_hits_total', { type: 'success' })).toBe(1);

    expect((await fetch(`${httpUrl(block, 'health')}/health`)).status).toBe(200);
    expect((await fetch(`${httpUrl(block, 'ready')}/ready`)).status).toBe(200);
    const dump = await (await fetch(`${httpUrl(block, 'admin')}/cache`)).text();
    expect(dump).toContain('"name":"web.test"');
    expect(block.get(CacheStore, 'test').size).toBe(1);
  });

  it('names FILE:LINE and the directive on a mistake', async () => {
    await expect(load('.:0 {\n    answer\n    prometheus 127.0.0.1:0 127.0.0.1:1\n}\n', 'conf/Corefile'))
      .rejects.toThrow('conf/Corefile:3 - prometheus: takes at most 1 argument, got 2');
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('has the man-page sections', () => {
    for (const section of ['Name', 'Description', 'Syntax', 'Examples', 'Metrics']) expect(readme).toContain(`\n## ${section}\n`);
  });

  const examples = [...readme.matchAll(/```corefile\n([\s\S]*?)```/g)].map((m) => m[1]!);
  it('has Corefile examples', () => { expect(examples.length).toBeGreaterThan(0); });
  it.each(examples.map((e, i) => [i + 1, e] as const))('example %i loads', async (_i, text) => {
    process.env.DNSMESH_ADMIN_TOKEN = 'readme-example-token-0123456789'; // the admin example reads its token from the environment
    onTestFinished(() => { delete process.env.DNSMESH_ADMIN_TOKEN; });
    const s = await load(text, 'README.md');
    expect(s.blocks.length).toBeGreaterThan(0);
  });

  it('lists every metric the prometheus plugin exports', () => {
    for (const name of [REQUESTS, RESPONSES, DURATION]) expect(readme).toContain(`\`${name}{`);
  });
});
