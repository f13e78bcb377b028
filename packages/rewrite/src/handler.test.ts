import { cache } from '@dnsmesh/cache';
import { createServer, DnsMessage, ednsOptions, NO_REPLY, parseCorefile } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query, type FakeUpstream } from '@dnsmesh/testkit';
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

/** The EDNS options of a query the upstream received, as [code, hex data]. */
function optionsOf(raw: Buffer): [number, string][] {
  const msg = new DnsMessage(raw);
  const edns = msg.edns;
  return edns === undefined ? [] : ednsOptions(msg.bytes, edns).map((o) => [o.code, o.data.toString('hex')]);
}

const hex = (text: string) => Buffer.from(text).toString('hex');

describe('rewrite edns0', () => {
  it('sends the options the rules set in our own OPT, never the client\'s own; a fixed option is cached as usual', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    const server = await createServer({ zones: ['.'], port: 0, plugins: [cache(), rewrite(rules('continue edns0 local set 0xffee abcd', 'edns0 nsid set')), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    const reply = await query(server.address, 'web.svc.test', 'A', { ednsOptions: [{ code: 0xfff0, data: Buffer.from('mine') }, { code: 10, data: Buffer.alloc(8, 1) }] });
    expect(reply.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    expect(upstream.queries.map((q) => optionsOf(q.raw))).toEqual([[[0xffee, hex('abcd')], [3, '']]]);
    await query(server.address, 'web.svc.test', 'A');
    expect(upstream.queries).toHaveLength(1); // the same options for every client: stored, a hit
  });

  it('set, append, replace and unset as CoreDNS: replace and append look at the client\'s options', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    const server = await createServer({ zones: ['.'], port: 0, plugins: [rewrite(rules(
      'continue edns0 local replace 0xfff0 swapped',   // only when the client sent 0xfff0
      'continue edns0 local append 0xfff1 added',      // only when the client did not send 0xfff1
      'continue edns0 local set 0xfff2 gone',
      'continue edns0 local unset 0xfff2',
    )), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    await query(server.address, 'web.svc.test', 'A', { edns: 1232 });
    await query(server.address, 'web.svc.test', 'A', { ednsOptions: [{ code: 0xfff0, data: Buffer.from('x') }, { code: 0xfff1, data: Buffer.from('y') }] });
    expect(upstream.queries.map((q) => optionsOf(q.raw))).toEqual([
      [[0xfff1, hex('added')]],
      [[0xfff0, hex('swapped')]],              // the client's 0xfff1 stays behind, as every client option
    ]);
  });

  it('subnet: ECS of the client\'s /24 (RFC 7871 §6); such answers are neither stored nor shared', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    const server = await createServer({ zones: ['.'], port: 0, plugins: [cache(), rewrite(rules('edns0 subnet set 24 56')), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    await Promise.all([query(server.address, 'web.svc.test', 'A'), query(server.address, 'web.svc.test', 'A')]);
    await query(server.address, 'web.svc.test', 'A');
    expect(upstream.queries.map((q) => optionsOf(q.raw))).toEqual(Array(3).fill([[8, '00011800' + '7f0000']]));
  });

  it('variables: {qname} (as rewritten), {qtype}, {protocol}, {client_ip} ({server_port} is in the binary test: here the block listens on port 0)', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    const server = await createServer({ zones: ['.'], port: 0, plugins: [rewrite(rules(
      'continue name exact Alias.test web.svc.test',
      'continue edns0 local set 65001 {qname}', 'continue edns0 local set 65002 {qtype}', 'continue edns0 local set 65003 {protocol}',
      'edns0 local set 65005 {client_ip}',
    )), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    await query(server.address, 'alias.TEST', 'A', { transport: 'tcp' });
    expect(optionsOf(upstream.queries[0]!.raw)).toEqual([
      [65001, hex('web.svc.test.')], [65002, '0001'], [65003, hex('tcp')], [65005, '7f000001'],
    ]);
  });
});

describe('rewrite cname and rcode', () => {
  it('cname: the matched target is rewritten and looked up; the answer is the CNAMEs to it and that answer', async () => {
    const upstream = await fakeUpstream({
      'my-app.test CNAME': { ttl: 200, data: ['my-app.example.test'] },
      'my-app.example.test CNAME': { ttl: 200, data: ['my-app.cdn.example.net'] },
      'my-app.cdn.example.net A': { ttl: 300, data: ['20.2.0.1', '20.2.0.2'] },
      'my-app.other.cdn.com A': { ttl: 100, data: ['30.3.1.2'] },
    });
    const { server } = await withUpstream(upstream, 'cname regex (.*)\\.cdn\\.example\\.net\\.$ {1}.other.cdn.com.');
    const reply = await query(server.address, 'my-app.test', 'A');
    expect(reply.answers.map((r) => [r.name, r.type, r.ttl, r.data])).toEqual([
      ['my-app.test', 'CNAME', 200, 'my-app.example.test'],
      ['my-app.example.test', 'CNAME', 200, 'my-app.other.cdn.com'],
      ['my-app.other.cdn.com', 'A', 100, '30.3.1.2'],
    ]);
    expect(upstream.queries.map((q) => q.name)).toEqual(['my-app.test', 'my-app.other.cdn.com']);
    const untouched = await query(server.address, 'my-app.cdn.example.net', 'A'); // no CNAME: as it came
    expect(untouched.answers.map((r) => r.data)).toEqual(['20.2.0.1', '20.2.0.2']);
  });

  it('cname: a new target that does not exist gives its NXDOMAIN and SOA', async () => {
    const upstream = await fakeUpstream({ 'www.svc.test CNAME': { ttl: 60, data: ['web.old.test'] }, 'web.old.test A': { ttl: 60, data: ['10.0.0.1'] } },
      { soa: { zone: 'test', ttl: 60, minimum: 30 } });
    const { server } = await withUpstream(upstream, 'cname exact web.old.test web.gone.test');
    const reply = await query(server.address, 'www.svc.test', 'A');
    expect([reply.rcode, reply.answers.map((r) => r.data), reply.authorities.map((r) => r.type)]).toEqual(['NXDOMAIN', ['web.gone.test'], ['SOA']]);
  });

  it('rcode: SERVFAIL becomes NXDOMAIN for matching names only, other bytes as they came', async () => {
    const upstream = await fakeUpstream({ 'a.svc.test A': { rcode: 'SERVFAIL' }, 'b.other.test A': { rcode: 'SERVFAIL' }, 'c.svc.test A': { ttl: 30, data: ['10.0.0.3'] } });
    const { server } = await withUpstream(upstream, 'rcode suffix .svc.test SERVFAIL NXDOMAIN');
    const a = await query(server.address, 'a.svc.test', 'A', { edns: 1232 });
    expect([a.rcode, a.questions[0]!.name]).toEqual(['NXDOMAIN', 'a.svc.test']);
    expect((await query(server.address, 'b.other.test', 'A')).rcode).toBe('SERVFAIL');
    expect((await query(server.address, 'c.svc.test', 'A')).answers.map((r) => r.data)).toEqual(['10.0.0.3']);
  });
});

async function withUpstream(upstream: FakeUpstream, ...lines: string[]) {
  const server = await createServer({ zones: ['.'], port: 0, plugins: [rewrite(rules(...lines)), forward({ to: [upstream.address] })] }).start();
  onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
  return { server };
}
