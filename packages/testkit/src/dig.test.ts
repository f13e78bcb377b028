import { describe, expect, it, onTestFinished } from 'vitest';
import { checkDigArgs, dig, kdig } from './dig.js';
import { parseDigAnswer } from './dig-output.js';
import { fakeUpstream } from './fake-upstream.js';

async function upstream() {
  const u = await fakeUpstream({
    'web.service.consul A': { ttl: 30, data: ['10.0.0.7', '10.0.0.8'] },
    'www.example CNAME': { ttl: 60, data: ['web.service.consul'] },
    'big.service.consul TXT': { ttl: 60, data: Array.from({ length: 20 }, (_, i) => `${'x'.repeat(50)}${i}`) },
  }, { soa: { zone: 'consul', ttl: 3600, minimum: 300 } });
  onTestFinished(() => u.close());
  return u;
}

describe.each([['dig', dig], ['kdig', kdig]] as const)('%s against the fake upstream', (_tool, run) => {
  it('reads a CNAME chain answer', async () => {
    const u = await upstream();
    const out = parseDigAnswer(await run(['@127.0.0.1', '-p', String(u.port), 'www.example', 'A']));
    expect(out.status).toBe('NOERROR');
    expect(out.flags).toEqual(expect.arrayContaining(['qr', 'aa', 'rd']));
    expect(out.flags).not.toContain('ra');
    expect(out.answers).toEqual([
      { name: 'www.example.', ttl: 60, class: 'IN', type: 'CNAME', data: 'web.service.consul.' },
      { name: 'web.service.consul.', ttl: 30, class: 'IN', type: 'A', data: '10.0.0.7' },
      { name: 'web.service.consul.', ttl: 30, class: 'IN', type: 'A', data: '10.0.0.8' },
    ]);
  });

  it('reads NXDOMAIN with the SOA in authority', async () => {
    const u = await upstream();
    const out = parseDigAnswer(await run(['@127.0.0.1', '-p', String(u.port), 'nope.consul', 'A']));
    expect(out).toMatchObject({ status: 'NXDOMAIN', answers: [] });
    expect(out.authority).toMatchObject([{ name: 'consul.', ttl: 3600, type: 'SOA' }]);
    expect(out.authority[0]!.data).toMatch(/ 300$/);
  });

  it('retries a truncated UDP reply over TCP and gets the full answer', async () => {
    const u = await upstream();
    u.truncateUdpAt(512);
    const out = parseDigAnswer(await run(['@127.0.0.1', '-p', String(u.port), 'big.service.consul', 'TXT']));
    expect(out.answers).toHaveLength(20);
    expect([u.count('big.service.consul', 'TXT', 'udp'), u.count('big.service.consul', 'TXT', 'tcp')]).toEqual([1, 1]);
  });

  it('returns what it printed when no reply came', async () => {
    const u = await upstream();
    u.blackhole(true);
    const out = await run(['@127.0.0.1', '-p', String(u.port), '+time=1', 'web.service.consul', 'A']);
    expect(parseDigAnswer(out)).toMatchObject({ status: undefined, answers: [] });
    expect(u.count('web.service.consul')).toBe(1);
  });
});

describe('dig and kdig guard the network', () => {
  it('refuse to run without a loopback server, with another server, or with options that go further', async () => {
    await expect(dig(['example.com'])).rejects.toThrow(/need an @127\.0\.0\.1 or @::1 argument/);
    await expect(kdig(['@9.9.9.9', 'example.com'])).rejects.toThrow(/'9\.9\.9\.9' is not a loopback address/);
    await expect(dig(['@127.0.0.1', 'example.com', '@8.8.8.8'])).rejects.toThrow(/not a loopback/);
    await expect(dig(['@127.0.0.1', '+trace', 'example.com'])).rejects.toThrow(/'\+trace' may query servers/);
    expect(() => checkDigArgs(['@::1', '-p', '53', 'x'])).not.toThrow();
    expect(() => checkDigArgs(['@127.0.0.1#5353', 'x'])).not.toThrow();
  });

  it('rejects with stderr when the tool itself fails', async () => {
    await expect(dig(['@127.0.0.1', '+nosuchoption'])).rejects.toThrow(/exit 1: .*Invalid option: \+nosuchoption/);
  });
});

describe('parseDigAnswer', () => {
  it('reads dig output', () => {
    const out = parseDigAnswer(`
; <<>> DiG 9.18.49 <<>> @127.0.0.1 -p 1053 web.service.consul SRV
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
;; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 2

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;web.service.consul.		IN	SRV

;; ANSWER SECTION:
web.service.consul.	25	IN	SRV	1 1 8080 node1.node.dc1.consul.

;; ADDITIONAL SECTION:
node1.node.dc1.consul.	25	IN	A	10.0.0.7

;; Query time: 0 msec
`);
    expect(out).toEqual({
      status: 'NOERROR', flags: ['qr', 'rd', 'ra'],
      answers: [{ name: 'web.service.consul.', ttl: 25, class: 'IN', type: 'SRV', data: '1 1 8080 node1.node.dc1.consul.' }],
      authority: [],
      additional: [{ name: 'node1.node.dc1.consul.', ttl: 25, class: 'IN', type: 'A', data: '10.0.0.7' }],
    });
  });

  it('reads kdig output', () => {
    const out = parseDigAnswer(`;; ->>HEADER<<- opcode: QUERY; status: SERVFAIL; id: 2
;; Flags: qr rd ra; QUERY: 1; ANSWER: 0; AUTHORITY: 0; ADDITIONAL: 1

;; EDNS PSEUDOSECTION:
;; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: NOERROR
;; EDE: 22 (No Reachable Authority)

;; QUESTION SECTION:
;; web.service.consul.          IN      A

;; Received 58 B
`);
    expect(out).toEqual({ status: 'SERVFAIL', flags: ['qr', 'rd', 'ra'], answers: [], authority: [], additional: [] });
  });
});
