import { cache } from '@dnsmesh/cache';
import { createServer, DnsMessage, manualClock, type DnsServer, type Plugin } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { norec, type NorecMode } from './index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

/** Stands where forward would: one A record with TTL 30, and counts what reaches it. */
function upstream(): Plugin & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: 'upstream', asked,
    handle(ctx) {
      const q = ctx.request.question!;
      asked.push(`${q.lname} rd=${ctx.request.rd}`);
      return DnsMessage.fromPacket({
        type: 'response', id: ctx.request.id, flags: 0x8180, questions: [{ name: q.name, type: 'A' }],
        answers: [{ name: q.name, type: 'A', ttl: 30, data: '10.0.0.1' }],
      });
    },
  };
}

async function start(mode: NorecMode) {
  const clock = manualClock();
  const end = upstream();
  const metrics = new Registry();
  server = await createServer({ clock, metrics, plugins: [norec(mode), cache(), end] }).start();
  return { clock, end, address: server.address, metrics };
}

describe('norec', () => {
  it('refuse: RD=0 gets REFUSED, cached or not, and nothing is asked upstream', async () => {
    const { end, address, metrics } = await start('refuse');
    expect((await query(address, 'web.test', 'A', { rd: false })).rcode).toBe('REFUSED');
    expect((await query(address, 'web.test', 'A')).answers).toHaveLength(1);
    expect((await query(address, 'web.test', 'A', { rd: false })).rcode).toBe('REFUSED');
    expect(end.asked).toEqual(['web.test. rd=true']);
    expect(await metrics.metrics()).toContain('dnsmesh_norec_refused_total{server="dns://127.0.0.1:0",mode="refuse"} 2');
  });

  it('cache: RD=0 is answered from a fresh entry only, never from upstream, never stale', async () => {
    const { clock, end, address, metrics } = await start('cache');
    expect((await query(address, 'web.test', 'A', { rd: false })).rcode).toBe('REFUSED');
    expect(end.asked).toEqual([]);
    await query(address, 'web.test', 'A');
    clock.advance(10_000);
    const hit = await query(address, 'WEB.test', 'A', { rd: false });
    expect(hit.rcode).toBe('NOERROR');
    expect(hit.answers[0]).toMatchObject({ data: '10.0.0.1', ttl: 20 });
    clock.advance(25_000); // expired
    expect((await query(address, 'web.test', 'A', { rd: false })).rcode).toBe('REFUSED');
    expect(end.asked).toEqual(['web.test. rd=true']);
    const text = await metrics.metrics();
    expect(text).toContain('dnsmesh_norec_refused_total{server="dns://127.0.0.1:0",mode="cache"} 2');
    expect(text).toContain('dnsmesh_norec_passed_total{server="dns://127.0.0.1:0",mode="cache"} 1');
  });

  it('forward: RD=0 goes on like any query', async () => {
    const { end, address } = await start('forward');
    expect((await query(address, 'web.test', 'A', { rd: false })).answers).toHaveLength(1);
    expect(end.asked).toEqual(['web.test. rd=false']);
  });
});
