import { manualClock, QueryContext, ServerBlock, DnsMessage, type ClientInfo } from '@dnsmesh/core';
import { buildQuery } from '@dnsmesh/testkit';
import pino from 'pino';
import { Registry } from 'prom-client';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { LOGGED_CLIENTS, SeenOnce, defaultRules } from './default-access.js';
import { defaultAccess, AclPlugin } from './index.js';
import { decide } from './policy.js';
import { parseIp } from './ip.js';

const RULES = defaultRules(['.']);
const verdict = (address: string, qtype = 1) => decide(RULES, parseIp(address), qtype, () => 'a.test.').action;

describe('the default access policy (no acl in the block)', () => {
  const allowed = [
    '127.0.0.1', '127.255.255.254', '::1', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255',
    '192.168.0.1', '192.168.255.255', '169.254.1.1', '100.64.0.1', '100.127.255.255', 'fc00::1', 'fd12:3456::1',
    'fe80::1', 'fe80::1%eth0', 'febf::1', '::ffff:10.1.2.3', '::ffff:192.168.1.1', '::ffff:127.0.0.1',
  ];
  it.each(allowed)('answers %s', (address) => {
    expect(verdict(address)).toBe('allow');
    expect(verdict(address, 255)).toBe('allow');
  });

  const refused = [
    '8.8.8.8', '1.1.1.1', '203.0.113.9', '9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255',
    '192.169.0.0', '169.253.255.255', '100.63.255.255', '100.128.0.0', '0.0.0.0', '255.255.255.255', '2001:db8::1',
    '2606:4700::1111', '::', '::2', 'fec0::1', 'fe00::1', '::ffff:8.8.8.8', '64:ff9b::a00:1', 'not-an-address', '',
  ];
  it.each(refused)('refuses %j', (address) => {
    expect(verdict(address)).toBe('block');
  });
});

function context(block: ServerBlock, address: string): QueryContext {
  const client: ClientInfo = { address, port: 5353, transport: 'udp', family: address.includes(':') ? 6 : 4 };
  return new QueryContext(new DnsMessage(buildQuery('a.test', 'A', { edns: 1232 })), client, block, 0);
}

function blockWithLog(): { block: ServerBlock; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as Record<string, unknown>); } });
  const block = new ServerBlock({ zones: ['.'], port: 53, container: container.createChildContainer(), clock: manualClock(), logger, metrics: new Registry() });
  return { block, lines };
}

describe('defaultAccess()', () => {
  it('refuses a public client with EDE 18 and logs it once; answers a private one without a log', () => {
    const { block, lines } = blockWithLog();
    const plugin = defaultAccess()(block) as AclPlugin;
    let passed = 0;
    const next = () => { passed++; return DnsMessage.reply(new DnsMessage(buildQuery('a.test')), 0); };
    for (let i = 0; i < 5; i++) {
      const ctx = context(block, '203.0.113.9');
      const reply = plugin.handle(ctx, next) as DnsMessage;
      expect(reply.rcodeName).toBe('REFUSED');
      expect(ctx.state.ede).toBe(18);
    }
    plugin.handle(context(block, '10.1.2.3'), next);
    plugin.handle(context(block, '2001:db8::7'), next);
    expect(passed).toBe(1);
    expect(lines.map((l) => l.client)).toEqual(['203.0.113.9', '2001:db8::7']);
    expect(lines[0]).toMatchObject({ level: 40, server: 'dns://:53' });
    expect(plugin.counts.blocked.get('.')).toBe(6);
    expect(plugin.counts.allowed).toBe(1);
  });

  it('logs a flood of spoofed sources at most once each, remembering a bounded number', () => {
    const { block, lines } = blockWithLog();
    const plugin = defaultAccess()(block) as AclPlugin;
    const next = () => { throw new Error('must not pass'); };
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 500; i++) plugin.handle(context(block, `198.51.100.${i % 250}`), next);
    }
    expect(lines).toHaveLength(250);
    for (let i = 0; i < 5000; i++) plugin.handle(context(block, `203.0.${i >> 8}.${i & 255}`), next);
    expect(lines).toHaveLength(250 + 5000);
    expect(plugin.counts.blocked.get('.')).toBe(1000 + 5000);
  });
});

describe('SeenOnce', () => {
  it('says first once per address and forgets the oldest past its capacity', () => {
    const seen = new SeenOnce(3);
    expect(['a', 'b', 'a', 'c', 'b'].map((x) => seen.first(x))).toEqual([true, true, false, true, false]);
    expect(seen.first('d')).toBe(true); // forgets a
    expect(seen.size).toBe(3);
    expect(seen.first('a')).toBe(true);
    expect(seen.first('c')).toBe(false);
  });

  it('holds at most LOGGED_CLIENTS addresses by default', () => {
    const seen = new SeenOnce();
    for (let i = 0; i < 3 * LOGGED_CLIENTS; i++) seen.first(`x${i}`);
    expect(seen.size).toBe(LOGGED_CLIENTS);
  });
});
