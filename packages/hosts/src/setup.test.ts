import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cache from '@dnsmesh/cache';
import { loadBlocks, manualClock, parseCorefile, PluginRegistry } from '@dnsmesh/core';
import forward from '@dnsmesh/forward';
import { loadReadmeExamples } from '@dnsmesh/testkit';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import hosts, { parse, type HostsOptions } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'hosts.txt'), '# a hosts file\n10.0.0.1 db.svc.test db\n\n2001:db8::1 db.svc.test   # v6 too\n');
writeFileSync(join(dir, 'bad.txt'), '10.0.0.1 ok.svc.test\nnot-an-ip web.svc.test\n');

/** Parses the first directive of `svc.test.:53 { ... }` with the Corefile in the temp dir. */
function options(body: string): HostsOptions {
  const [block] = parseCorefile(`svc.test.:53 {\n${body}\n}\n`, join(dir, 'Corefile'));
  return parse(block!.directives[0]!);
}

function summary(o: HostsOptions) {
  const names = ['web.svc.test.', 'db.svc.test.', 'db.'].filter((n) => o.table.get(n) !== undefined);
  return { names, zones: o.zones, ttl: o.ttl, reverse: o.reverse, fallthrough: o.fallthrough, file: o.file, reload: o.reload };
}

describe('hosts setup', () => {
  const good: [string, string, Partial<ReturnType<typeof summary>>][] = [
    ['inline entries, the defaults', 'hosts {\n  10.0.0.7 web.svc.test\n}', { names: ['web.svc.test.'], zones: ['svc.test.'], ttl: 3600, reverse: true, fallthrough: [] }],
    ['a file, relative to the Corefile', 'hosts hosts.txt', { names: ['db.svc.test.', 'db.'] }],
    ['a file and zones', 'hosts hosts.txt svc.test db.', { zones: ['svc.test.', 'db.'] }],
    ['ttl, no_reverse', 'hosts {\n  10.0.0.7 web.svc.test\n  ttl 60\n  no_reverse\n}', { ttl: 60, reverse: false }],
    ['reload, and its default of 5s', 'hosts hosts.txt {\n  reload 30s\n}', { reload: 30_000 }],
    ['reload 0 turns it off', 'hosts hosts.txt {\n  reload 0\n}', { reload: 0 }],
    ['no FILE: /etc/hosts, as CoreDNS', 'hosts {\n  10.0.0.7 web.svc.test\n}', { file: '/etc/hosts', reload: 5000 }],
    ['fallthrough everywhere', 'hosts {\n  fallthrough\n}', { fallthrough: ['.'] }],
    ['fallthrough in some zones', 'hosts {\n  fallthrough a.svc.test b.svc.test\n}', { fallthrough: ['a.svc.test.', 'b.svc.test.'] }],
  ];
  it.each(good)('%s', (_what, body, want) => {
    expect(summary(options(body))).toMatchObject(want);
  });

  it('reads both families from a file', () => {
    const entry = options('hosts hosts.txt').table.get('db.svc.test.');
    expect(entry).toEqual({ v4: ['10.0.0.1'], v6: ['2001:0db8:0000:0000:0000:0000:0000:0001'] });
  });

  const bad: [string, string, string][] = [
    ['a bad TTL', 'hosts {\n  ttl 70000\n}', `Corefile:3 - hosts: expected an integer between 0 and 65535, got '70000'`],
    ['ttl without a value', 'hosts {\n  ttl\n}', 'Corefile:3 - hosts: ttl takes exactly 1 argument, got 0'],
    ['an unknown property', 'hosts {\n  frob 1\n}', `Corefile:3 - hosts: unknown property 'frob' (nor an IP address)`],
    ['an address with no name', 'hosts {\n  10.0.0.7\n}', `Corefile:3 - hosts: '10.0.0.7' needs at least one name`],
    ['a bad name', 'hosts {\n  10.0.0.7 we$b\n}', `Corefile:3 - hosts: expected a host name, got 'we$b'`],
    ['a missing file', 'hosts nope.txt', 'Corefile:2 - hosts: cannot read nope.txt: ENOENT'],
    ['a bad reload', 'hosts hosts.txt {\n  reload soon\n}', 'Corefile:3 - hosts:'],
    ['a bad line in the file', 'hosts bad.txt', `bad.txt:2 - hosts: expected an IP address, got 'not-an-ip'`],
  ];
  it.each(bad)('fails on %s with FILE:LINE', (_what, body, message) => {
    expect(() => options(body)).toThrow(message);
  });
});

describe('hosts in a Corefile', () => {
  function registry(): PluginRegistry {
    const r = new PluginRegistry(['bind', 'log', 'cache', 'hosts', 'forward']);
    r.register(cache);
    r.register(forward);
    r.register(hosts);
    return r;
  }
  const load = (text: string) => loadBlocks(parseCorefile(text, join(dir, 'Corefile')), {
    registry: registry(), clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53,
  });

  it('takes its place after cache (CoreDNS plugin.cfg), whatever the line order', async () => {
    const [block] = await load('svc.test.:53 {\n  forward . 127.0.0.1:5300\n  cache\n  hosts {\n    10.0.0.7 web.svc.test\n  }\n}\n');
    expect(block!.plugins.map((p) => p.name)).toEqual(['cache', 'hosts', 'forward']);
  });

  it("loads every Corefile of the README's Examples", async () => {
    writeFileSync(join(dir, 'hosts'), '10.0.0.5 files.svc.test\n');
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load, (text) => text.replace(/\/etc\/hosts/g, 'hosts'));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const plugins of examples) expect(plugins).toContain('hosts');
  });
});
