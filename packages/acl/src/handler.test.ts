import { createServer, DnsMessage, Rcode, type DnsServer, type Plugin } from '@dnsmesh/core';
import { buildQuery, endOfChain, query, queryRaw, tcpSession } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { acl, type AclInput } from './index.js';
import { AclCounts, AclPlugin } from './handler.js';
import { parseCidr, type Cidr } from './ip.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start(input: AclInput, zones?: string[]) {
  const end = endOfChain();
  const metrics = new Registry();
  server = await createServer({ zones, metrics, plugins: [acl(input), end] }).start();
  return { end, address: server.address, port: server.port, metrics };
}

describe('acl', () => {
  it('lets a matching allow through, and an unmatched query too (as CoreDNS)', async () => {
    const { end, address } = await start({ policies: [{ action: 'allow', nets: ['127.0.0.0/8'] }, { action: 'block', nets: ['10.0.0.0/8'] }] });
    expect((await query(address, 'a.test', 'A')).rcode).toBe('NOERROR');
    expect(end.names).toEqual(['a.test. A']);
  });

  it('blocks with REFUSED and EDE 18 (Prohibited), without asking the rest of the chain', async () => {
    const { end, address, metrics } = await start({ policies: [{ action: 'block', nets: ['127.0.0.0/8'] }] });
    const reply = await query(address, 'a.test', 'A', { edns: 1232 });
    expect(reply.rcode).toBe('REFUSED');
    expect(reply.ede).toEqual([{ code: 18, text: '' }]);
    expect((await query(address, 'a.test', 'A')).ede).toEqual([]); // no EDNS, no OPT
    expect(end.names).toEqual([]);
    const text = await metrics.metrics();
    expect(text).toContain('dnsmesh_acl_blocked_requests_total{server="dns://127.0.0.1:0",zone="."} 2');
    expect(text).toContain('dnsmesh_acl_filtered_requests_total{server="dns://127.0.0.1:0",zone="."} 0');
    expect(text).toContain('dnsmesh_acl_allowed_requests_total{server="dns://127.0.0.1:0"} 0');
  });

  it('filters with NOERROR, no records and EDE 17', async () => {
    const { end, address } = await start({ policies: [{ action: 'filter', types: [28] }] });
    const aaaa = await query(address, 'a.test', 'AAAA', { edns: 1232 });
    expect(aaaa.rcode).toBe('NOERROR');
    expect(aaaa.answers).toEqual([]);
    expect(aaaa.ede.map((e) => e.code)).toEqual([17]);
    expect((await query(address, 'a.test', 'A')).ede).toEqual([]);
    expect(end.names).toEqual(['a.test. A']);
  });

  it('drops with no reply over UDP and TCP; the TCP connection still answers what is allowed', async () => {
    const { end, address, port, metrics } = await start({ policies: [{ action: 'drop', types: [1] }] });
    expect(await queryRaw(address, buildQuery('a.test', 'A'), { timeout: 300 })).toBeUndefined();
    const session = await tcpSession({ host: '127.0.0.1', port });
    onTestFinished(() => session.close());
    session.send(buildQuery('a.test', 'A', { id: 1 }), buildQuery('a.test', 'AAAA', { id: 2 }));
    const reply = await session.next(2000);
    expect(reply.id).toBe(2);
    await expect(session.next(300)).rejects.toThrow();
    expect(end.names).toEqual(['a.test. AAAA']);
    expect(await metrics.metrics()).toContain('dnsmesh_acl_dropped_requests_total{server="dns://127.0.0.1:0",zone="."} 2');
  });

  it('guards only its zones; the most specific zone labels the count', async () => {
    const { end, address, metrics } = await start({ zones: ['b.test', 'x.b.test'], policies: [{ action: 'block' }] }, ['test']);
    expect((await query(address, 'a.test', 'A')).rcode).toBe('NOERROR');
    expect((await query(address, 'y.x.B.test', 'A')).rcode).toBe('REFUSED');
    expect((await query(address, 'b.test', 'A')).rcode).toBe('REFUSED');
    expect(end.names).toEqual(['a.test. A']);
    const text = await metrics.metrics();
    expect(text).toContain('zone="x.b.test."} 1');
    expect(text).toContain('zone="b.test."} 1');
  });
});

describe('acl verdict memo', () => {
  it('decides again when the client or the type changes (the last verdict is kept only for the same pair)', () => {
    const rules = [{ zones: ['.'], blockZones: true, policies: [
      { action: 'block' as const, types: new Set([28]), nets: [parseCidr('127.0.0.0/8') as Cidr] },
      { action: 'block' as const, types: undefined, nets: [parseCidr('10.0.0.0/8') as Cidr] },
    ] }];
    const plugin = new AclPlugin(rules, new AclCounts(['.']));
    const ctxFor = (address: string, type: string) =>
      ({ request: new DnsMessage(buildQuery('a.test', type)), client: { address }, state: { plugin: undefined, ede: -1 } }) as unknown as Parameters<Plugin['handle']>[0];
    const next = (ctx: Parameters<Plugin['handle']>[0]) => DnsMessage.reply(ctx.request, Rcode.NOERROR);
    const rcode = (address: string, type: string) => (plugin.handle(ctxFor(address, type), next) as DnsMessage).rcode;
    expect([rcode('127.0.0.1', 'A'), rcode('127.0.0.1', 'A'), rcode('127.0.0.1', 'AAAA'), rcode('127.0.0.1', 'A'),
      rcode('10.1.2.3', 'A'), rcode('10.1.2.3', 'A'), rcode('127.0.0.2', 'A')]).toEqual([0, 0, 5, 0, 5, 5, 0]);
  });
});
