import { DnsMessage, ednsOptions } from '@dnsmesh/core';
import { dig, fakeUpstream, freePort, kdig, parseDigAnswer } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, startDnsmesh, tempFiles } from './dnsmesh-process.js';

const at = (port: number) => ['@127.0.0.1', '-p', String(port)];

describe('CoreDNS plugins in the binary', () => {
  it('chaos answers version.bind and hostname.bind locally; without chaos, CH is refused', async () => {
    const upstream = await fakeUpstream({});
    onTestFinished(() => upstream.close());
    const [port, other] = [await freePort(), await freePort()];
    await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  chaos "dnsmesh test" ann\n  forward . ${upstream.address}\n}\n.:${other} {\n  bind 127.0.0.1\n  forward . ${upstream.address}\n}\n`);
    const version = parseDigAnswer(await dig([...at(port), 'CH', 'TXT', 'version.bind']));
    expect(version.answers).toMatchObject([{ name: 'version.bind.', class: 'CH', type: 'TXT', ttl: 0, data: '"dnsmesh test"' }]);
    const authors = parseDigAnswer(await kdig([...at(port), 'CH', 'TXT', 'authors.bind']));
    expect(authors.answers.map((r) => r.data)).toEqual(['"ann"']);
    expect(parseDigAnswer(await dig([...at(port), 'CH', 'TXT', 'hostname.bind'])).answers).toHaveLength(1);
    expect(parseDigAnswer(await dig([...at(other), 'CH', 'TXT', 'version.bind'])).status).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(0);
  });

  it('whoami tells dig its address and port; minimal strips authority', async () => {
    const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] } }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`example.org:${port} {\n  bind 127.0.0.1\n  whoami\n}\nsvc.test:${port} {\n  bind 127.0.0.1\n  minimal\n  forward . ${upstream.address}\n}\n`);
    const me = parseDigAnswer(await dig([...at(port), 'example.org', 'A']));
    expect(me.status).toBe('NOERROR');
    expect(me.answers).toEqual([]);
    expect(me.additional.find((r) => r.type === 'A')).toMatchObject({ name: 'example.org.', ttl: 0, data: '127.0.0.1' });
    expect(me.additional.find((r) => r.type === 'SRV')?.name).toBe('_udp.example.org.');
    const tcp = parseDigAnswer(await kdig([...at(port), '+tcp', 'example.org', 'A']));
    expect(tcp.additional.find((r) => r.type === 'SRV')?.name).toBe('_tcp.example.org.');
    const nx = parseDigAnswer(await dig([...at(port), 'nope.svc.test', 'A']));
    expect([nx.status, nx.authority.map((r) => r.type)]).toEqual(['NXDOMAIN', ['SOA']]); // minimal keeps a denial whole
    expect(parseDigAnswer(await dig([...at(port), 'web.svc.test', 'A'])).answers.map((r) => r.data)).toEqual(['10.0.0.7']);
  });

  it('hosts answers from a file and inline entries, PTR too, and reads a changed file again', async () => {
    const upstream = await fakeUpstream({ 'api.svc.test A': { ttl: 30, data: ['10.0.0.9'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const server = await startDnsmesh(`svc.test:${port} in-addr.arpa:${port} {\n  bind 127.0.0.1\n  hosts hosts.txt svc.test {\n    10.0.0.8 inline.svc.test\n    ttl 60\n    reload 200ms\n    fallthrough\n  }\n  forward . ${upstream.address}\n}\n`,
      { 'hosts.txt': '10.0.0.7 web.svc.test\n' });
    const web = parseDigAnswer(await dig([...at(port), 'web.svc.test', 'A']));
    expect([web.flags.includes('aa'), web.answers.map((r) => [r.ttl, r.data])]).toEqual([true, [[60, '10.0.0.7']]]);
    expect(parseDigAnswer(await kdig([...at(port), 'inline.svc.test', 'A'])).answers.map((r) => r.data)).toEqual(['10.0.0.8']);
    expect(parseDigAnswer(await dig([...at(port), '-x', '10.0.0.7'])).answers.map((r) => r.data)).toEqual(['web.svc.test.']);
    expect(parseDigAnswer(await dig([...at(port), 'api.svc.test', 'A'])).answers.map((r) => r.data)).toEqual(['10.0.0.9']); // fallthrough
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${server.dir}/hosts.txt`, '10.0.0.70 web.svc.test\n');
    const until = Date.now() + 5000;
    let data: string[] = [];
    while (Date.now() < until) {
      data = parseDigAnswer(await dig([...at(port), 'web.svc.test', 'A'])).answers.map((r) => r.data);
      if (data[0] === '10.0.0.70') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(data).toEqual(['10.0.0.70']);
  });

  it('-plugins lists the CoreDNS plugins in plugin.cfg order', async () => {
    const r = run(['-plugins'], tempFiles({}));
    expect(await r.exited).toBe(0);
    const names = r.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    const want = ['prometheus', 'errors', 'chaos', 'loadbalance', 'loop', 'cache', 'rewrite', 'minimal', 'template', 'hosts', 'forward', 'whoami'];
    const seen = want.map((n) => names.indexOf(n));
    expect(seen.every((i) => i >= 0), `${want} in ${names}`).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!, want[i]).toBeGreaterThan(seen[i - 1]!);
    expect(r.stdout).toMatch(/loadbalance\s+@dnsmesh\/loadbalance@\d/);
    expect(r.stdout).toMatch(/hosts\s+@dnsmesh\/hosts@\d/);
    expect(r.stdout).toMatch(/template\s+@dnsmesh\/template@\d/);
  });
});

describe('rewrite in the binary', () => {
  it('serves service1.sd from service1.query.consul, answers under the asked name, cached under it', async () => {
    const upstream = await fakeUpstream({ 'service1.query.consul A': { ttl: 30, data: ['10.0.0.1'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`sd:${port} {\n  bind 127.0.0.1\n  cache\n  rewrite name suffix .sd .query.consul answer auto\n  forward . ${upstream.address}\n}\n`);
    for (const tool of [dig, kdig]) {
      const out = parseDigAnswer(await tool([...at(port), 'service1.sd', 'A']));
      expect([out.status, out.answers.map((r) => [r.name, r.data])]).toEqual(['NOERROR', [['service1.sd.', '10.0.0.1']]]);
    }
    expect(upstream.queries.map((q) => `${q.name} ${q.type}`)).toEqual(['service1.query.consul A']); // the second was a cache hit
  });

  it('edns0 subnet: each client subnet is asked with its own ECS and gets its own answer, never another\'s from the cache', async () => {
    // The upstream answers 10.0.0.(100 + the third byte of the ECS subnet it was sent).
    const upstream = await fakeUpstream({ 'geo.svc.test A': { ttl: 300, data: ['10.0.0.0'] } }, {
      onQuery: (_q, info) => {
        const reply = info.reply();
        const ecs = subnetOf(info.raw);
        if (ecs !== undefined) reply[reply.indexOf(Buffer.from([10, 0, 0, 0])) + 3] = 100 + ecs[6]!; // FAMILY, SOURCE, SCOPE, then the address
        return reply;
      },
    });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`svc.test:${port} {\n  bind 127.0.0.1\n  cache\n  rewrite edns0 subnet set 24 56\n  forward . ${upstream.address}\n}\n`);
    const ask = async (tool: typeof dig, source: string) => parseDigAnswer(await tool([...at(port), '-b', source, 'geo.svc.test', 'A'])).answers.map((r) => r.data);
    expect(await ask(dig, '127.0.0.1')).toEqual(['10.0.0.100']);
    expect(await ask(kdig, '127.0.1.1')).toEqual(['10.0.0.101']);
    expect(await ask(dig, '127.0.0.1')).toEqual(['10.0.0.100']);
    expect(upstream.queries.map((q) => subnetOf(q.raw)?.toString('hex'))).toEqual(['000118007f0000', '000118007f0001', '000118007f0000']);
  });

  it('edns0 local, rcode and cname rules through the binary, with dig and kdig', async () => {
    const upstream = await fakeUpstream({
      'broken.svc.test A': { rcode: 'SERVFAIL' },
      'www.svc.test CNAME': { ttl: 60, data: ['www.cdn.example.net'] },
      'www.cdn.example.net A': { ttl: 60, data: ['20.2.0.1'] },
      'www.other.cdn.com A': { ttl: 60, data: ['30.3.1.2'] },
    });
    onTestFinished(() => upstream.close());
    const [port, metrics] = [await freePort(), await freePort()];
    await startDnsmesh(`.:${port} {
  bind 127.0.0.1
  prometheus 127.0.0.1:${metrics}
  rewrite continue edns0 local set 0xffee abcd
  rewrite continue edns0 local set 65004 {server_port}
  rewrite continue rcode suffix .svc.test SERVFAIL NXDOMAIN
  rewrite cname suffix .cdn.example.net. .other.cdn.com.
  forward . ${upstream.address}
}
`);
    const broken = parseDigAnswer(await kdig([...at(port), 'broken.svc.test', 'A']));
    expect(broken.status).toBe('NXDOMAIN');
    const www = parseDigAnswer(await dig([...at(port), 'www.svc.test', 'A']));
    expect(www.answers.map((r) => [r.name, r.type, r.data])).toEqual([
      ['www.svc.test.', 'CNAME', 'www.other.cdn.com.'], ['www.other.cdn.com.', 'A', '30.3.1.2'],
    ]);
    expect(upstream.queries.map((q) => [q.name, localOption(q.raw)])).toEqual([
      ['broken.svc.test', 'abcd'], ['www.svc.test', 'abcd'], ['www.other.cdn.com', 'abcd'],
    ]);
    expect(upstream.queries.map((q) => optionOf(q.raw, 65004)?.readUInt16BE(0))).toEqual([port, port, port]); // {server_port}
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(text).toMatch(/^dnsmesh_rewrite_edns0_total\{server="[^"]+"\} 2$/m);
    expect(text).toMatch(/^dnsmesh_rewrite_cname_lookups_total\{server="[^"]+"\} 1$/m);
  });
});

describe('rewrite edns0 with the consul plugin in DNS mode', () => {
  it("the agent gets the options the rules set, in dnsmesh's own OPT", async () => {
    const agent = await fakeUpstream({ 'web.service.consul A': { ttl: 0, data: ['10.0.0.7'] } });
    onTestFinished(() => agent.close());
    const port = await freePort();
    await startDnsmesh(`consul.:${port} {\n  bind 127.0.0.1\n  rewrite edns0 local set 0xffee {qtype}\n  consul {\n    dns ${agent.address}\n  }\n}\n`);
    expect(parseDigAnswer(await dig([...at(port), 'web.service.consul', 'A'])).answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    expect(agent.queries.map((q) => optionOf(q.raw, 0xffee)?.toString('hex'))).toEqual(['0001']);
  });
});

/** The data of EDNS option `code` in a query the upstream received. */
function optionOf(raw: Buffer, code: number): Buffer | undefined {
  const msg = new DnsMessage(raw);
  return msg.edns === undefined ? undefined : ednsOptions(msg.bytes, msg.edns).find((o) => o.code === code)?.data;
}
const subnetOf = (raw: Buffer) => optionOf(raw, 8);
const localOption = (raw: Buffer) => optionOf(raw, 0xffee)?.toString('latin1');

describe('template in the binary', () => {
  it('answers ip-A-B-C-D names from the name itself and sends the rest on', async () => {
    const upstream = await fakeUpstream({ 'up.example A': { ttl: 30, data: ['10.9.9.9'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`example:${port} {
  bind 127.0.0.1
  template IN A example {
    match ^ip-(?P<a>[0-9]+)-([0-9]+)-([0-9]+)-([0-9]+)[.]example[.]$
    answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ index .Match 2 }}.{{ index .Match 3 }}.{{ index .Match 4 }}"
    fallthrough
  }
  forward . ${upstream.address}
}
`);
    const out = parseDigAnswer(await kdig([...at(port), 'ip-10-1-2-3.example', 'A']));
    expect([out.flags.includes('aa'), out.answers.map((r) => [r.ttl, r.data])]).toEqual([true, [[60, '10.1.2.3']]]);
    expect(parseDigAnswer(await dig([...at(port), 'up.example', 'A'])).answers.map((r) => r.data)).toEqual(['10.9.9.9']);
    expect(upstream.queries.map((q) => q.name)).toEqual(['up.example']);
  });

  it('ederror: a blocklist template answers NXDOMAIN with EDE 15 and its reason, as dig and kdig show', async () => {
    const upstream = await fakeUpstream({});
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`.:${port} {
  bind 127.0.0.1
  template IN ANY ads.example {
    rcode NXDOMAIN
    ederror 15 "blocked by policy"
  }
  forward . ${upstream.address}
}
`);
    const viaDig = await dig([...at(port), 'tracker.ads.example', 'A']);
    expect(parseDigAnswer(viaDig).status).toBe('NXDOMAIN');
    expect(viaDig).toMatch(/EDE: 15 \(Blocked\): \(blocked by policy\)/);
    const viaKdig = await kdig([...at(port), '+edns', 'tracker.ads.example', 'AAAA']);
    expect(parseDigAnswer(viaKdig).status).toBe('NXDOMAIN');
    expect(viaKdig).toMatch(/EDE: 15 \(Blocked\): 'blocked by policy'/);
    const noEdns = await kdig([...at(port), 'tracker.ads.example', 'AAAA']); // kdig sends no OPT by default: none comes back
    expect([parseDigAnswer(noEdns).status, /EDE|OPT PSEUDOSECTION/.test(noEdns)]).toEqual(['NXDOMAIN', false]);
    expect(upstream.queries).toHaveLength(0);
  });
});
