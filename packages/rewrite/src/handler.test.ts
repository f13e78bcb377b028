import { createServer, NO_REPLY, parseCorefile } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { rewrite } from './index.js';
import { parse } from './setup.js';

/** The rules of `rewrite ...` lines, parsed as the Corefile would. */
const rules = (...lines: string[]) => parseCorefile(`.:53 {\n${lines.map((l) => `  rewrite ${l}`).join('\n')}\n}\n`, 'Corefile')[0]!.directives.map((d) => parse(d));

async function resolver(...lines: string[]) {
  const upstream = await fakeUpstream({
    'service1.query.consul A': { ttl: 30, data: ['10.0.0.1', '10.0.0.2'] },
    'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] },
    'www.svc.test CNAME': { ttl: 60, data: ['web.svc.test'] },
    'db.svc.test SRV': { ttl: 30, data: [{ priority: 1, weight: 1, port: 5432, target: 'db-1.node.svc.test' }] },
  }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
  const server = await createServer({ zones: ['.'], port: 0, plugins: [rewrite(rules(...lines)), forward({ to: [upstream.address] })] }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { upstream, server };
}

describe('rewrite', () => {
  it("service1.sd -> service1.query.consul with answer auto: the client sees its own names", async () => {
    const { server, upstream } = await resolver('name suffix .sd .query.consul answer auto');
    const reply = await query(server.address, 'Service1.sd', 'A', { edns: 1232 });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.questions[0]!.name).toBe('Service1.sd');
    expect(reply.answers.map((r) => [r.name, r.data])).toEqual([['Service1.sd', '10.0.0.1'], ['Service1.sd', '10.0.0.2']]);
    expect(upstream.queries.map((q) => `${q.name} ${q.type}`)).toEqual(['service1.query.consul A']);
  });

  it('without answer auto, the question is the client\'s and the records keep the upstream\'s names', async () => {
    const { server } = await resolver('name exact service1.sd service1.query.consul');
    const reply = await query(server.address, 'service1.sd', 'A');
    expect(reply.questions[0]!.name).toBe('service1.sd');
    expect(reply.answers.map((r) => r.name)).toEqual(['service1.query.consul', 'service1.query.consul']);
  });

  it('regex with groups, answer name back, and answer value on a CNAME target', async () => {
    const { server, upstream } = await resolver('name regex ^(www)\\.example\\.org\\.$ {1}.svc.test answer name ^www\\.svc\\.test\\.$ www.example.org answer value ^web\\.svc\\.test\\.$ web.example.org');
    const reply = await query(server.address, 'www.example.org', 'A');
    expect(upstream.queries.map((q) => q.name)).toEqual(['www.svc.test']);
    expect(reply.answers.map((r) => [r.name, r.type, r.data])).toEqual([
      ['www.example.org', 'CNAME', 'web.example.org'], ['web.svc.test', 'A', '10.0.0.7'],
    ]);
  });

  it('keeps SRV data and denials whole when names are rebuilt', async () => {
    const { server } = await resolver('name prefix legacy-db. db. answer auto');
    const srv = await query(server.address, 'legacy-db.svc.test', 'SRV');
    expect(srv.answers).toMatchObject([{ name: 'legacy-db.svc.test', type: 'SRV', data: { port: 5432, target: 'db-1.node.svc.test' } }]);
    const nx = await query(server.address, 'legacy-nope.svc.test', 'A'); // no rule matches: passes untouched
    expect(nx.rcode).toBe('NXDOMAIN');
    const nodata = await query(server.address, 'legacy-db.svc.test', 'TXT');
    expect([nodata.rcode, nodata.authorities.map((r) => r.type)]).toEqual(['NOERROR', ['SOA']]);
  });

  it('type and ttl rules; stop ends the list, continue goes on', async () => {
    const typed = await resolver('type AAAA A');
    const a = await query(typed.server.address, 'web.svc.test', 'AAAA');
    expect(typed.upstream.queries.map((q) => q.type)).toEqual(['A']);
    expect(a.questions[0]!.type).toBe('AAAA');
    expect(a.answers.map((r) => r.data)).toEqual(['10.0.0.7']);

    const chained = await resolver('continue name exact alias.test web.svc.test', 'ttl exact web.svc.test 10-20');
    expect((await query(chained.server.address, 'alias.test', 'A')).answers.map((r) => r.ttl)).toEqual([20]);
    const stopped = await resolver('stop name exact alias.test web.svc.test', 'ttl exact web.svc.test 10-20');
    expect((await query(stopped.server.address, 'alias.test', 'A')).answers.map((r) => r.ttl)).toEqual([300]);
  });

  it('passes a dropped query on as dropped (NO_REPLY from a plugin after it)', async () => {
    const server = await createServer({ zones: ['.'], port: 0, plugins: [rewrite(rules('name exact a.test b.test answer auto')), { name: 'drop', handle: () => NO_REPLY }] }).start();
    onTestFinished(() => server.stop(0));
    await expect(query(server.address, 'a.test', 'A', { timeout: 400 })).rejects.toThrow('no reply');
  });
});
