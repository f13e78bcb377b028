import { createServer, type DnsServer } from '@dnsmesh/core';
import { endOfChain, query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { anyPlugin, type AnyScope } from './index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start(scope: AnyScope) {
  const end = endOfChain();
  const metrics = new Registry();
  server = await createServer({ metrics, plugins: [anyPlugin(scope), end] }).start();
  return { end, address: server.address, metrics };
}

describe('any', () => {
  it("answers ANY with one HINFO \"RFC8482\" \"\" in the client's case, and asks nothing further", async () => {
    const { end, address, metrics } = await start('all');
    const reply = await query(address, 'Web.Example.ORG', 'ANY', { edns: 1232, id: 4242 });
    expect(reply.id).toBe(4242);
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.flags).toMatchObject({ qr: true, ra: true, rd: true, aa: false, tc: false });
    expect(reply.questions).toEqual([{ name: 'Web.Example.ORG', type: 'ANY', class: 'IN' }]);
    expect(reply.answers).toHaveLength(1);
    expect(reply.answers[0]).toMatchObject({ name: 'Web.Example.ORG', type: 'HINFO', class: 'IN', ttl: 8482, data: { cpu: 'RFC8482', os: '' } });
    expect(reply.opt).toBeDefined();
    // header 12 + question 21 + HINFO (pointer 2, type/class/ttl/len 10, rdata 9) + OPT 11
    expect(reply.size).toBe(12 + 21 + 21 + 11);
    expect(end.names).toEqual([]);
    expect(await metrics.metrics()).toContain('dnsmesh_any_answered_total{server="dns://127.0.0.1:0",scope="all"} 1');
  });

  it('passes every other type on', async () => {
    const { end, address } = await start('all');
    expect((await query(address, 'a.test', 'A')).answers).toEqual([]);
    expect((await query(address, 'a.test', 'TXT')).answers).toEqual([]);
    expect(end.names).toEqual(['a.test. A', 'a.test. TXT']);
  });

  it("answers ANY over TCP too with the directive, and passes it on over TCP in the server's default (udp) scope", async () => {
    let { end, address } = await start('all');
    expect((await query(address, 'a.test', 'ANY', { transport: 'tcp' })).answers[0]).toMatchObject({ type: 'HINFO' });
    expect(end.names).toEqual([]);
    await server!.stop(0);
    ({ end, address } = await start('udp'));
    expect((await query(address, 'a.test', 'ANY')).answers[0]).toMatchObject({ type: 'HINFO' });
    expect((await query(address, 'a.test', 'ANY', { transport: 'tcp' })).answers).toEqual([]);
    expect(end.names).toEqual(['a.test. ANY']);
  });
});
