import { createServer, DnsMessage, manualClock, NO_REPLY, QueryContext, Rcode, type ClientInfo, type DnsServer, type Transport } from '@dnsmesh/core';
import { buildQuery, endOfChain, query, queryRaw, testBlock } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitPlugin } from './handler.js';
import { ratelimit, resolveOptions, type RateLimitInput } from './index.js';

const block = testBlock();

/** What one query from `address` at `now` gets: 'pass', 'slip' (TC=1, no records) or 'drop'. */
function ask(plugin: RateLimitPlugin, address: string, now: number, transport: Transport = 'udp'): 'pass' | 'slip' | 'drop' {
  const client: ClientInfo = { address, port: 5353, transport, family: address.includes(':') ? 6 : 4 };
  const ctx = new QueryContext(new DnsMessage(buildQuery('a.test')), client, block, now);
  const reply = plugin.handle(ctx, (c) => DnsMessage.reply(c.request, Rcode.NOERROR, 0x0400)) as DnsMessage;
  if (reply === NO_REPLY) return 'drop';
  if (reply.tc) { expect(reply.ancount + reply.rcode).toBe(0); return 'slip'; }
  expect(reply.aa).toBe(true);
  return 'pass';
}
const limiter = (input: RateLimitInput) => new RateLimitPlugin(resolveOptions(input));

describe('ratelimit', () => {
  it('gives a prefix its burst, then drops, slipping every 2nd limited reply', () => {
    const p = limiter({ rate: 10, burst: 4 });
    const got = Array.from({ length: 9 }, () => ask(p, '203.0.113.9', 0));
    expect(got).toEqual(['pass', 'pass', 'pass', 'pass', 'drop', 'slip', 'drop', 'slip', 'drop']);
    expect(p.counts).toMatchObject({ dropped: 3, slipped: 2 });
  });

  it('refills at the rate, up to the burst, on the clock it is given', () => {
    const p = limiter({ rate: 10, burst: 3, slip: 0 });
    for (let i = 0; i < 3; i++) expect(ask(p, '198.51.100.1', 0)).toBe('pass');
    expect(ask(p, '198.51.100.1', 0)).toBe('drop');
    expect(ask(p, '198.51.100.1', 99)).toBe('drop'); // 0.99 of a token
    expect(ask(p, '198.51.100.1', 100)).toBe('pass');
    expect(ask(p, '198.51.100.1', 100)).toBe('drop');
    const after = Array.from({ length: 5 }, () => ask(p, '198.51.100.1', 60_000)); // a minute quiet: only the burst back
    expect(after).toEqual(['pass', 'pass', 'pass', 'drop', 'drop']);
    expect(p.counts).toMatchObject({ dropped: 5, slipped: 0 });
  });

  it('shares one bucket per /24 and per /56, and keeps other prefixes apart', () => {
    const p = limiter({ rate: 1, burst: 2, slip: 0 });
    expect([ask(p, '192.0.2.1', 0), ask(p, '192.0.2.200', 0), ask(p, '192.0.2.7', 0)]).toEqual(['pass', 'pass', 'drop']);
    expect(ask(p, '192.0.3.1', 0)).toBe('pass');
    expect(ask(p, '::ffff:192.0.2.9', 0)).toBe('drop'); // a mapped address is its IPv4 address
    expect([ask(p, '2001:db8:0:1::1', 0), ask(p, '2001:db8:0:ff::2', 0), ask(p, '2001:db8:0:42::3', 0)]).toEqual(['pass', 'pass', 'drop']);
    expect(ask(p, '2001:db8:0:100::1', 0)).toBe('pass');
    const narrow = limiter({ rate: 1, burst: 1, slip: 0, ipv4Prefix: 32, ipv6Prefix: 128 });
    expect([ask(narrow, '192.0.2.1', 0), ask(narrow, '192.0.2.2', 0), ask(narrow, '192.0.2.1', 0)]).toEqual(['pass', 'pass', 'drop']);
  });

  it('never limits TCP or an exempt network; slip 1 slips every limited reply', () => {
    const p = limiter({ rate: 1, burst: 1, slip: 1, exempt: ['10.0.0.0/8', 'fd00::/8'] });
    expect(Array.from({ length: 3 }, () => ask(p, '203.0.113.1', 0))).toEqual(['pass', 'slip', 'slip']);
    expect(Array.from({ length: 3 }, () => ask(p, '203.0.113.1', 0, 'tcp'))).toEqual(['pass', 'pass', 'pass']);
    expect(Array.from({ length: 3 }, () => ask(p, '10.9.9.9', 0))).toEqual(['pass', 'pass', 'pass']);
    expect(Array.from({ length: 3 }, () => ask(p, 'fd00::9', 0))).toEqual(['pass', 'pass', 'pass']);
    expect(p.table.size).toBe(1);
  });

  it('keeps its table bounded under forged sources', () => {
    const p = limiter({ rate: 1, burst: 1, maxTable: 100 });
    for (let i = 0; i < 10_000; i++) ask(p, `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::1`, i);
    expect(p.table.size).toBe(100);
    expect(p.table.evictions).toBe(9_900);
  });
});

describe('ratelimit through a server on loopback', () => {
  let server: DnsServer | undefined;
  afterEach(async () => { await server?.stop(0); server = undefined; });

  it('drops and slips UDP past the burst; TCP is answered; the counters show it', async () => {
    const end = endOfChain();
    const metrics = new Registry();
    server = await createServer({ clock: manualClock(), metrics, plugins: [ratelimit({ rate: 1, burst: 3, slip: 2 }), end] }).start();
    const address = server.address;
    for (let i = 0; i < 3; i++) expect((await query(address, 'a.test', 'A')).flags.tc).toBe(false);
    expect(await queryRaw(address, buildQuery('a.test'), { timeout: 300 })).toBeUndefined();
    const slipped = await query(address, 'a.test', 'A');
    expect(slipped.flags.tc).toBe(true);
    expect(slipped.answers).toEqual([]);
    expect((await query(address, 'a.test', 'A', { transport: 'tcp' })).flags.tc).toBe(false);
    expect(end.names).toHaveLength(4);
    const text = await metrics.metrics();
    expect(text).toContain('dnsmesh_ratelimit_dropped_total{server="dns://127.0.0.1:0"} 1');
    expect(text).toContain('dnsmesh_ratelimit_slipped_total{server="dns://127.0.0.1:0"} 1');
    expect(text).toContain('dnsmesh_ratelimit_prefixes{server="dns://127.0.0.1:0"} 1');
  });
});
