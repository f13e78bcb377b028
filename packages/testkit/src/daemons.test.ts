import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { dig } from './dig.js';
import { parseDigAnswer } from './dig-output.js';
import { startNsd } from './nsd.js';
import { query } from './query.js';
import { signZone } from './sign-zone.js';
import { startUnbound } from './unbound.js';

const ZONE = `$ORIGIN example.
$TTL 300
@ IN SOA ns.example. host.example. 1 3600 600 86400 120
@ IN NS ns.example.
ns IN A 127.0.0.1
www IN A 192.0.2.1
alias IN CNAME www
`;

describe('startNsd', () => {
  it('serves the zones it was given on loopback, UDP and TCP, and stop() kills it and removes its dir', async () => {
    const nsd = await startNsd({ zones: { example: ZONE } });
    onTestFinished(() => nsd.stop());
    expect(nsd.address).toBe(`127.0.0.1:${nsd.port}`);
    expect(nsd.zones).toEqual(['example.']);
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await query(nsd.address, 'alias.example', 'A', { transport });
      expect(r).toMatchObject({ rcode: 'NOERROR', flags: { aa: true } });
      expect(r.answers.map((a) => [a.type, a.data])).toEqual([['CNAME', 'www.example'], ['A', '192.0.2.1']]);
    }
    expect((await query(nsd.address, 'nope.example', 'A')).rcode).toBe('NXDOMAIN');
    expect((await query(nsd.address, 'other.test', 'A')).rcode).toBe('REFUSED');
    await nsd.stop();
    expect(existsSync(nsd.dir)).toBe(false);
    await expect(query(nsd.address, 'www.example', 'A', { timeout: 300 })).rejects.toThrow(/no reply/);
  });

  it('fails with NSD\'s own message when a zone does not load', async () => {
    await expect(startNsd({ zones: { example: '@ IN SOA broken' } })).rejects.toThrow(/nsd did not answer[\s\S]*example/);
  });
});

describe('startUnbound', () => {
  it('forwards to the loopback upstream, answers as a cache (AA clear, RA set), and dig gets the CNAME chain', async () => {
    const nsd = await startNsd({ zones: { example: ZONE } });
    onTestFinished(() => nsd.stop());
    const unbound = await startUnbound({ forwardTo: nsd.address, probe: 'example.' });
    onTestFinished(() => unbound.stop());
    const first = await query(unbound.address, 'www.example', 'A');
    expect(first).toMatchObject({ rcode: 'NOERROR', flags: { aa: false, ra: true } });
    expect(first.answers.map((a) => a.data)).toEqual(['192.0.2.1']);
    const viaDig = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(unbound.port), 'alias.example', 'A']));
    expect(viaDig.status).toBe('NOERROR');
    expect(viaDig.answers.map((a) => a.data)).toEqual(['www.example.', '192.0.2.1']);
    await unbound.stop();
    expect(existsSync(unbound.dir)).toBe(false);
  });

  it('takes only a loopback upstream', async () => {
    await expect(startUnbound({ forwardTo: '192.0.2.1:53' })).rejects.toThrow(/127\.0\.0\.0\/8/);
  });
});

describe('signZone', () => {
  it('signs with NSEC or NSEC3 (0 iterations, no salt), and NSD serves the proofs with DO', async () => {
    const nsec = await signZone({ origin: 'example.', zone: ZONE });
    expect(nsec.text).toMatch(/\bRRSIG\b/);
    expect(nsec.text).toMatch(/\bNSEC\b/);
    expect(nsec.text).not.toMatch(/\bNSEC3\b/);
    expect(nsec.ds).toMatch(/^example\.\s+(\d+\s+)?IN\s+DS\s+\d+ 13 2 [0-9a-f]{64}$/);
    const nsec3 = await signZone({ origin: 'example.', zone: ZONE, nsec3: true });
    expect(nsec3.text).toMatch(/\bNSEC3PARAM\s+1 0 0 -/);
    for (const [signed, proof] of [[nsec, 'NSEC'], [nsec3, 'NSEC3']] as const) {
      const nsd = await startNsd({ zones: { example: signed.text } });
      onTestFinished(() => nsd.stop());
      const r = await query(nsd.address, 'nope.example', 'A', { do: true, edns: 1232 });
      expect(r.rcode).toBe('NXDOMAIN');
      const types = r.authorities.map((a) => a.type);
      expect(types).toContain(proof);
      expect(types).toContain('RRSIG');
    }
  });
});
