import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import aclPlugin, { AclPlugin, acl, formatCidr, type Policy } from './index.js';
import { parse } from './setup.js';

const ORDER = ['prometheus', 'log', 'errors', 'ratelimit', 'acl', 'any', 'cache', 'forward'];
const load = (text: string) => loadWith(text, [aclPlugin], ORDER);

/** A policy as text, to compare tables: "block type=1,28 net=10.0.0.0/8". */
function show(p: Policy): string {
  const types = p.types === undefined ? '*' : [...p.types].join(',');
  const nets = p.nets === undefined ? '*' : p.nets.map(formatCidr).join(',');
  return `${p.action} type=${types} net=${nets}`;
}

describe('acl setup', () => {
  const good: [string, string[], string[]][] = [
    ['acl', ['.'], []],
    ['acl {\n allow net *\n}', ['.'], ['allow type=* net=*']],
    ['acl {\n block\n}', ['.'], ['block type=* net=*']],
    ['acl {\n BLOCK type A net 192.168.0.0/16\n}', ['.'], ['block type=1 net=192.168.0.0/16']],
    ['acl {\n filter type A AAAA\n}', ['.'], ['filter type=1,28 net=*']],
    ['acl {\n drop net 192.0.2.0/24 2001:db8::/32 10.0.0.1 ::1\n}', ['.'],
      ['drop type=* net=192.0.2.0/24,2001:db8:0:0:0:0:0:0/32,10.0.0.1/32,0:0:0:0:0:0:0:1/128']],
    ['acl {\n allow type * net *\n}', ['.'], ['allow type=* net=*']],
    ['acl {\n allow type A * net 10.0.0.0/8 *\n}', ['.'], ['allow type=* net=*']],
    ['acl {\n block net 10.0.0.0/8 type any TYPE65\n}', ['.'], ['block type=255,65 net=10.0.0.0/8']],
    ['acl example.org Example.NET. {\n allow net 192.168.1.0/24\n block net 192.168.0.0/16\n}', ['example.org.', 'example.net.'],
      ['allow type=* net=192.168.1.0/24', 'block type=* net=192.168.0.0/16']],
  ];
  it.each(good)('%s', (text, zones, policies) => {
    const rule = parse(directiveOf(text));
    expect(rule.zones).toEqual(zones);
    expect(rule.policies.map(show)).toEqual(policies);
  });

  const bad: [string, string][] = [
    ['acl {\n deny net 10.0.0.0/8\n}', "Corefile:3 - acl: unknown action 'deny': expected allow, block, filter or drop"],
    ['acl {\n block from 10.0.0.0/8\n}', "Corefile:3 - acl: unexpected 'from' in block: expected type or net"],
    ['acl {\n block net\n}', 'Corefile:3 - acl: block: net needs at least one SOURCE network (or *)'],
    ['acl {\n block type net 10.0.0.0/8\n}', 'Corefile:3 - acl: block: type needs at least one QTYPE (or *)'],
    ['acl {\n block type BOGUS\n}', "Corefile:3 - acl: unknown query type 'BOGUS'"],
    ['acl {\n block net 10.0.0.0/33\n}', "Corefile:3 - acl: '10.0.0.0/33' has a bad prefix length (0 to 32)"],
    ['acl {\n allow\n block net 10.1.0.0/8\n}', "Corefile:4 - acl: '10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)"],
    ['acl {\n block net example.org\n}', "Corefile:3 - acl: 'example.org' is not an IP address or CIDR network"],
    ['acl {\n block net 10.0.0.0/8 net 11.0.0.0/8\n}', 'Corefile:3 - acl: block: net is given twice'],
    ['acl {\n block type A type AAAA\n}', 'Corefile:3 - acl: block: type is given twice'],
    ['acl ex..ample {\n block\n}', 'Corefile:2 - acl:'],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directiveOf(text))).toThrow(message);
  });

  it('joins every acl of a block into one plugin, rules in Corefile order', async () => {
    const [block] = await load('example.org:53 {\n  acl a.example.org {\n    block net 10.0.0.0/8\n  }\n  acl {\n    allow\n  }\n  acl b.example.org {\n    drop\n  }\n}\n');
    const acls = block!.plugins.filter((p) => p.name === 'acl');
    expect(acls).toHaveLength(1);
    const plugin = acls[0] as AclPlugin;
    expect(plugin.rules.map((r) => r.zones)).toEqual([['a.example.org.'], ['example.org.'], ['b.example.org.']]);
    expect([...plugin.counts.blocked.keys()].sort()).toEqual(['a.example.org.', 'b.example.org.', 'example.org.']);
  });

  it('checks code input, naming the option', () => {
    expect(() => acl({ policies: [{ action: 'deny' as never }] })).toThrow("acl: action must be allow, block, filter or drop, got \"deny\"");
    expect(() => acl({ policies: [{ action: 'block', nets: ['10.0.0.0/99'] }] })).toThrow("acl: '10.0.0.0/99' has a bad prefix length (0 to 32)");
    expect(typeof acl({ policies: [{ action: 'allow', nets: ['10.0.0.0/8'] }, { action: 'block' }] })).toBe('function');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(3);
    for (const plugins of examples) expect(plugins).toContain('acl');
  });
});
