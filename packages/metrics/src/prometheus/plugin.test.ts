import { cache } from '@dnsmesh/cache';
import { createServer, DnsMessage, manualClock, QueryContext, type DnsServer } from '@dnsmesh/core';
import { buildQuery, query } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, scrape, value } from '../../test/helpers.js';
import { httpUrl } from '../http/listener.js';
import { logPlugin } from '../log/index.js';
import { DURATION_BUCKETS } from './metrics.js';
import { prometheusPlugin } from './index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

const REQ = 'dnsmesh_dns_requests_total';
const RESP = 'dnsmesh_dns_responses_total';

async function start(plugins: Parameters<typeof createServer>[0]['plugins'] = [prometheusPlugin({ address: '127.0.0.1:0' }), cache(), answer({ plugin: 'answer' })]) {
  const clock = manualClock();
  server = await createServer({ clock, plugins }).start();
  const block = server.blocks[0]!;
  return { clock, block, dns: server.address, http: httpUrl(block, 'prometheus')!, label: block.serverLabel };
}

describe('prometheus', () => {
  it('shows its metrics at 0 as soon as the server runs, before any query', async () => {
    const { http, label } = await start();
    const { text, series } = await scrape(http);
    expect(value(series, REQ, { server: label, zone: '.', proto: 'udp', family: '1', type: 'A' })).toBe(0);
    expect(value(series, RESP, { server: label, zone: '.', rcode: 'NOERROR' })).toBe(0);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_count', { server: label, zone: '.' })).toBe(0);
    expect(text).toContain('# TYPE dnsmesh_dns_request_duration_seconds histogram');
    // The cache publishes its own counters on the same registry.
    expect(value(series, 'dnsmesh_cache_misses_total', { server: label })).toBe(0);
    // Process metrics, once.
    expect(value(series, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(text.match(/^# TYPE process_cpu_user_seconds_total/gm)).toHaveLength(1);
  });

  it('counts requests and responses by name as queries pass (a miss, then a hit from cache)', async () => {
    const { http, dns, label } = await start();
    expect((await query(dns, 'web.test', 'A')).rcode).toBe('NOERROR'); // miss: answered by "answer"
    expect((await query(dns, 'web.test', 'A')).rcode).toBe('NOERROR'); // hit: answered by "cache"
    expect((await query(dns, 'nx.test', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(dns, 'web.test', 'AAAA', { transport: 'tcp' })).rcode).toBe('NOERROR');
    await query(dns, 'web.test', 'CAA');

    const { series } = await scrape(http);
    const req = (labels: Record<string, string>) => value(series, REQ, { server: label, zone: '.', family: '1', ...labels });
    expect(req({ proto: 'udp', type: 'A' })).toBe(3);
    expect(req({ proto: 'tcp', type: 'AAAA' })).toBe(1);
    expect(req({ proto: 'udp', type: 'other' })).toBe(1);
    expect(value(series, REQ)).toBe(5);

    const resp = (labels: Record<string, string>) => value(series, RESP, { server: label, zone: '.', ...labels });
    expect(resp({ rcode: 'NOERROR', plugin: 'cache' })).toBe(1);
    expect(resp({ rcode: 'NOERROR', plugin: 'answer' })).toBe(3);
    expect(resp({ rcode: 'NXDOMAIN', plugin: 'answer' })).toBe(1);
    expect(value(series, 'dnsmesh_cache_hits_total', { server: label, type: 'success' })).toBe(1);
    expect(value(series, 'dnsmesh_cache_misses_total', { server: label })).toBe(4);

    // The histogram: every query observed; the manual clock does not move, so all in the first bucket.
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_count', { server: label, zone: '.' })).toBe(5);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_bucket', { server: label, zone: '.', le: '0.00025' })).toBe(5);
  });

  it('uses CoreDNS buckets: 0.25 ms doubling, 16 of them', async () => {
    expect(DURATION_BUCKETS).toHaveLength(16);
    expect(DURATION_BUCKETS[0]).toBe(0.00025);
    expect(DURATION_BUCKETS[15]).toBeCloseTo(8.192);
    const { http } = await start();
    const { series } = await scrape(http);
    const les = series.filter((s) => s.name === 'dnsmesh_dns_request_duration_seconds_bucket').map((s) => s.labels.le);
    expect(les).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
  });

  it('times a query with the block clock', async () => {
    const clock = manualClock();
    const slow = { name: 'slow', handle: (ctx: QueryContext) => { clock.advance(3); return DnsMessage.reply(ctx.request, 0); } };
    server = await createServer({ clock, plugins: [prometheusPlugin({ address: '127.0.0.1:0' }), slow] }).start();
    await query(server.address, 'a.test', 'A');
    const { series } = await scrape(httpUrl(server.blocks[0]!, 'prometheus')!);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_sum')).toBeCloseTo(0.003);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_bucket', { le: '0.002' })).toBe(0);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_bucket', { le: '0.004' })).toBe(1);
    expect(value(series, RESP, { rcode: 'NOERROR', plugin: '' })).toBe(1); // no plugin said who answered
  });

  it('counts a chain that throws as SERVFAIL, and the client gets SERVFAIL', async () => {
    const { http, dns } = await start([prometheusPlugin({ address: '127.0.0.1:0' }), answer()]);
    expect((await query(dns, 'fail.test', 'A')).rcode).toBe('SERVFAIL');
    const { series } = await scrape(http);
    expect(value(series, RESP, { rcode: 'SERVFAIL' })).toBe(1);
    expect(value(series, 'dnsmesh_dns_request_duration_seconds_count')).toBe(1);
  });

  it('labels each query with the most specific zone of its block', async () => {
    server = await createServer({ clock: manualClock(), zones: ['test', 'svc.test'], plugins: [prometheusPlugin({ address: '127.0.0.1:0' }), answer()] }).start();
    await query(server.address, 'a.svc.test', 'A');
    await query(server.address, 'b.test', 'A');
    await query(server.address, 'c.svc.test', 'A');
    const { series } = await scrape(httpUrl(server.blocks[0]!, 'prometheus')!);
    expect(value(series, REQ, { zone: 'svc.test.', type: 'A' })).toBe(2);
    expect(value(series, REQ, { zone: 'test.', type: 'A' })).toBe(1);
  });

  it('shares one HTTP server between the blocks that name one address, and closes it with the last', async () => {
    server = await createServer({
      clock: manualClock(),
      blocks: [
        { zones: ['a.test'], plugins: [prometheusPlugin({ address: '127.0.0.1:0' }), answer()] },
        { zones: ['b.test'], plugins: [prometheusPlugin({ address: '127.0.0.1:0' }), answer()] },
      ],
    }).start();
    const [a, b] = server.blocks;
    const url = httpUrl(a!, 'prometheus')!;
    expect(httpUrl(b!, 'prometheus')).toBe(url);
    await query(server.address, 'x.a.test', 'A');
    await query(server.address, 'x.b.test', 'A');
    await query(server.address, 'y.b.test', 'A');
    const { series } = await scrape(url);
    expect(value(series, REQ, { zone: 'a.test.' })).toBe(1);
    expect(value(series, REQ, { zone: 'b.test.' })).toBe(2);
    await server.stop(0);
    server = undefined;
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('keeps a synchronous answer synchronous, with log after it too', async () => {
    const clock = manualClock();
    const built = createServer({ clock, plugins: [prometheusPlugin({ address: '127.0.0.1:0' }), logPlugin({ destination: { write() {} } }), answer()] });
    const block = built.blocks[0]!;
    const ctx = new QueryContext(new DnsMessage(buildQuery('a.test', 'A')), { address: '127.0.0.1', port: 5353, transport: 'udp', family: 4 }, block, clock.now());
    const result = block.chain(ctx);
    expect(result).toBeInstanceOf(DnsMessage);
    expect((result as DnsMessage).rcodeName).toBe('NOERROR');
  });

  it('serves only /metrics on its address', async () => {
    const { http } = await start();
    expect((await fetch(`${http}/nope`)).status).toBe(404);
    expect((await fetch(`${http}/metrics`, { method: 'POST' })).status).toBe(405);
    const res = await fetch(`${http}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
  });
});
