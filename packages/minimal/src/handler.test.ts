import { createServer, encodePacket } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { directiveOf, fakeUpstream, loadReadmeExamples, loadWith, query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import minimalDef, { minimal } from './index.js';

async function resolver() {
  const upstream = await fakeUpstream({
    'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] },
  }, {
    soa: { zone: 'svc.test', ttl: 60, minimum: 30 },
    // An authoritative-style answer: the SRV, the zone's NS in authority, the target's address in additional.
    onQuery: (q) => q.questions[0]!.name.toLowerCase() !== 'srv.svc.test' ? undefined : encodePacket({
      id: q.id, type: 'response', flags: 0x0400, questions: [{ name: 'srv.svc.test', type: 'SRV', class: 'IN' }],
      answers: [{ name: 'srv.svc.test', type: 'SRV', class: 'IN', ttl: 30, data: { priority: 1, weight: 1, port: 80, target: 'ns1.svc.test' } }],
      authorities: [{ name: 'svc.test', type: 'NS', class: 'IN', ttl: 30, data: 'ns1.svc.test' }],
      additionals: [{ name: 'ns1.svc.test', type: 'A', class: 'IN', ttl: 30, data: '10.0.0.53' }, { name: '.', type: 'OPT', udpPayloadSize: 1232 } as never],
    }),
  });
  const metrics = new Registry();
  const server = await createServer({ zones: ['.'], port: 0, metrics, plugins: [minimal(), forward({ to: [upstream.address] })] }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { server, metrics };
}

const ORDER = ['prometheus', 'log', 'errors', 'loop', 'chaos', 'whoami', 'minimal', 'cache', 'forward'];

describe('minimal', () => {
  it('drops authority and additional from an answer with data, keeps the answer and EDNS', async () => {
    const { server, metrics } = await resolver();
    const reply = await query(server.address, 'srv.svc.test', 'SRV', { edns: 1232 });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers.map((r) => r.type)).toEqual(['SRV']);
    expect(reply.authorities).toEqual([]);
    expect(reply.additionals.map((r) => r.type)).toEqual(['OPT']);
    expect(await metrics.metrics()).toMatch(/dnsmesh_minimal_stripped_total\{server="[^"]+"\} 1\n/);
  });

  it('keeps the SOA of NXDOMAIN and NODATA', async () => {
    const { server } = await resolver();
    const nx = await query(server.address, 'nope.svc.test', 'A');
    expect([nx.rcode, nx.authorities.map((r) => r.type)]).toEqual(['NXDOMAIN', ['SOA']]);
    const nodata = await query(server.address, 'web.svc.test', 'TXT');
    expect([nodata.rcode, nodata.answers.length, nodata.authorities.map((r) => r.type)]).toEqual(['NOERROR', 0, ['SOA']]);
  });

  it('takes no arguments', () => {
    expect(() => minimalDef.parse(directiveOf('minimal x'), undefined as never)).toThrow('Corefile:2 - minimal: takes no arguments, got 1');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [minimalDef], ORDER));
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('minimal');
  });
});
