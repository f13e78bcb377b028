import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import definition, { type RewritePlugin } from './index.js';
import { parse } from './setup.js';

/** The directives of the README examples, in the server's order (the others are stand-ins). */
const ORDER = ['prometheus', 'log', 'errors', 'cache', 'rewrite', 'template', 'forward'];

const rule = (line: string) => parse(parseCorefile(`.:53 {\n  rewrite ${line}\n}\n`, 'Corefile')[0]!.directives[0]!);

describe('rewrite setup', () => {
  it.each([
    ['name a.test b.test', { field: 'name', mode: 'stop', match: 'exact', from: 'a.test.', to: 'b.test.', answerAuto: false }],
    ['continue name suffix .SD .query.consul answer auto', { mode: 'continue', match: 'suffix', from: '.sd.', to: '.query.consul.', answerAuto: true }],
    ['name prefix old- new-', { match: 'prefix', from: 'old-', to: 'new-' }],
    ['name substring x y', { match: 'substring', from: 'x', to: 'y' }],
    ['type ANY HINFO', { field: 'type', from: 255, to: 13 }],
    ['class CH IN', { field: 'class', from: 3, to: 1 }],
    ['ttl exact a.test 30', { field: 'ttl', min: 30, max: 30 }],
    ['ttl suffix .test 10-', { field: 'ttl', min: 10, max: 2 ** 31 - 1 }],
    ['ttl a.test -300', { field: 'ttl', match: 'exact', min: 0, max: 300 }],
    ['edns0 local set 0xffee 0x61626364', { field: 'edns0', option: 'local', action: 'set', code: 0xffee, data: { kind: 'bytes', bytes: Buffer.from('abcd') }, revert: false }],
    ['edns0 local set 0xffee abcd', { code: 0xffee, data: { kind: 'bytes', bytes: Buffer.from('abcd') } }],
    ['continue edns0 local append 65001 {client_ip} revert', { mode: 'continue', action: 'append', code: 65001, data: { kind: 'variable', variable: '{client_ip}' }, revert: true }],
    ['edns0 local unset 0xffee', { action: 'unset', code: 0xffee, data: undefined }],
    ['edns0 nsid set', { option: 'nsid', code: 3, data: { kind: 'bytes', bytes: Buffer.alloc(0) } }],
    ['edns0 nsid unset', { option: 'nsid', action: 'unset', code: 3 }],
    ['edns0 subnet set 24 56', { option: 'subnet', code: 8, data: { kind: 'subnet', v4: 24, v6: 56 } }],
    ['edns0 SUBNET Replace 32 128 revert', { option: 'subnet', action: 'replace', revert: true, data: { v4: 32, v6: 128 } }],
    ['edns0 subnet unset', { option: 'subnet', action: 'unset', data: undefined }],
    ['cname a.example b.example', { field: 'cname', match: 'exact', from: 'a.example.', to: 'b.example.' }],
    ['cname suffix .cdn.example.net. .other.cdn.com.', { field: 'cname', match: 'suffix', from: '.cdn.example.net.', to: '.other.cdn.com.' }],
    ['stop rcode a.test SERVFAIL NXDOMAIN', { field: 'rcode', mode: 'stop', match: 'exact', from: 'a.test.', fromRcode: 2, toRcode: 3 }],
    ['rcode suffix .test 2 0', { field: 'rcode', match: 'suffix', from: '.test.', fromRcode: 2, toRcode: 0 }],
    ['rcode regex (.*)\\.test badcookie refused', { field: 'rcode', match: 'regex', fromRcode: 23, toRcode: 5 }],
  ])('%s', (line, want) => {
    expect(rule(line)).toMatchObject(want);
  });
  it('reads regex rules with answer name and value', () => {
    const r = rule('name regex (.*)\\.sd\\.$ {1}.query.consul answer name (.*)\\.query\\.consul\\.$ {1}.sd answer value x y');
    expect(r).toMatchObject({ match: 'regex', to: '{1}.query.consul' });
    expect((r as unknown as { answerName: unknown[] }).answerName).toHaveLength(1);
  });
  it('reads the block form, as CoreDNS', () => {
    const d = parseCorefile('.:53 {\n  rewrite stop {\n    name regex (.*)\\.sd\\.$ {1}.query.consul\n    answer name (.*)\\.query\\.consul\\.$ {1}.sd\n  }\n}\n', 'Corefile')[0]!.directives[0]!;
    const r = parse(d);
    expect(r).toMatchObject({ field: 'name', mode: 'stop', match: 'regex', to: '{1}.query.consul' });
    expect((r as unknown as { answerName: [RegExp, string][] }).answerName.map(([re, to]) => [re.source, to])).toEqual([['(.*)\\.query\\.consul\\.$', '{1}.sd']]);
    const bad = parseCorefile('.:53 {\n  rewrite {\n    name a.test b.test\n    frob x\n  }\n}\n', 'Corefile')[0]!.directives[0]!;
    expect(() => parse(bad)).toThrow(`Corefile:4 - rewrite: expected 'answer' after the rule in the block, got 'frob'`);
  });
  it.each([
    ['name', 'Corefile:2 - rewrite: takes at least 2 arguments, got 1'],
    ['name a.test', 'Corefile:2 - rewrite: name needs FROM and TO'],
    ['name a.test b.test answer frob', `Corefile:2 - rewrite: answer takes auto, name FROM TO or value FROM TO, got 'frob'`],
    ['name regex ( x', `Corefile:2 - rewrite: bad regular expression '('`],
    ['type AAAA NOPE', `Corefile:2 - rewrite: unknown record type 'NOPE'`],
    ['class IN XX', `Corefile:2 - rewrite: unknown class 'XX' (IN, CH or HS)`],
    ['ttl a.test 20-10', 'Corefile:2 - rewrite: the TTL range 20-10 is empty'],
    ['edns0 local', 'Corefile:2 - rewrite: edns0 takes local, nsid or subnet, then set, append, replace or unset'],
    ['edns0 local frob 1 x', `Corefile:2 - rewrite: unknown edns0 action 'frob' (set, append, replace or unset)`],
    ['edns0 local set 0xffee', 'Corefile:2 - rewrite: edns0 local set takes CODE and DATA [revert], got 1 arguments'],
    ['edns0 local set 70000 x', `Corefile:2 - rewrite: bad EDNS option code '70000' (0 to 65535, or 0x0000 to 0xffff)`],
    ['edns0 local set 0xffee 0xabc', `Corefile:2 - rewrite: bad hex data '0xabc'`],
    ['edns0 local set 0xffee {client}', `Corefile:2 - rewrite: unknown variable '{client}' ({qname}, {qtype}, {client_ip}, {client_port}, {protocol}, {server_ip}, {server_port})`],
    ['edns0 local unset 0xffee revert', 'Corefile:2 - rewrite: edns0 local unset takes CODE, got 2 arguments'],
    ['edns0 nsid set x', `Corefile:2 - rewrite: edns0 nsid set takes no arguments but revert, got 'x'`],
    ['edns0 subnet set 24', 'Corefile:2 - rewrite: edns0 subnet set takes V4BITS and V6BITS [revert], got 1 arguments'],
    ['edns0 subnet set 33 56', `Corefile:2 - rewrite: bad IPv4 prefix length '33' (0 to 32)`],
    ['edns0 subnet set 24 129', `Corefile:2 - rewrite: bad IPv6 prefix length '129' (0 to 128)`],
    ['edns0 subnet unset 24', `Corefile:2 - rewrite: edns0 subnet unset takes no arguments, got '24'`],
    ['edns0 frob set', `Corefile:2 - rewrite: unknown edns0 option 'frob' (local, nsid or subnet)`],
    ['cname a.example', 'Corefile:2 - rewrite: cname takes [exact|prefix|suffix|substring|regex] FROM TO, got 1 arguments'],
    ['cname like a b', `Corefile:2 - rewrite: unknown match type 'like' (exact, prefix, suffix, substring or regex)`],
    ['cname regex ( x', `Corefile:2 - rewrite: bad regular expression '('`],
    ['rcode a.test SERVFAIL', 'Corefile:2 - rewrite: rcode takes [exact|prefix|suffix|substring|regex] NAME FROM TO, got 2 arguments'],
    ['rcode a.test SERVFAIL NOPE', `Corefile:2 - rewrite: unknown rcode 'NOPE' (NOERROR, SERVFAIL, NXDOMAIN, ... or 0 to 23)`],
    ['rcode a.test 24 0', `Corefile:2 - rewrite: unknown rcode '24'`],
    ['frob a b', `Corefile:2 - rewrite: unknown field 'frob' (name, type, class, ttl, edns0, cname or rcode)`],
  ])('fails on %j with FILE:LINE', (line, message) => {
    expect(() => rule(line)).toThrow(message);
  });
  it('keeps the rules of a block in line order in its one plugin (stop and continue span lines)', async () => {
    const [block] = await loadWith('.:53 {\n  rewrite continue name exact a.test b.test\n  rewrite rcode b.test 2 3\n  rewrite cname x.test y.test\n}\n', [definition], ['rewrite']);
    const plugins = block!.plugins as RewritePlugin[];
    expect(plugins).toHaveLength(1);
    expect(plugins[0]!.rules.map((r) => r.field)).toEqual(['name', 'rcode', 'cname']);
  });
  it("loads every Corefile of the README's Examples", async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [definition], ORDER));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const plugins of examples) expect(plugins).toContain('rewrite');
  });
});
