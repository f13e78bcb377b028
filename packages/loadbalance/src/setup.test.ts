import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import definition from './index.js';
import { parse } from './setup.js';

const directive = (body: string) => parseCorefile(`.:53 {\n${body}\n}\n`, 'Corefile')[0]!.directives[0]!;

describe('loadbalance setup', () => {
  it.each(['loadbalance', 'loadbalance round_robin'])('%s is round_robin', (body) => {
    expect(parse(directive(body))).toEqual({ policy: 'round_robin' }); // no prefer: nothing to reorder
  });
  it('reads prefer with either policy (networks in order)', () => {
    const o = parse(directive('loadbalance round_robin {\n  prefer 10.9.20.0/24 192.168.1.0/24\n  prefer fd00::/8\n}'));
    expect([o.policy, o.prefer?.map((n) => `${n.family}/${n.bits}`)]).toEqual(['round_robin', ['4/24', '4/24', '6/8']]);
    expect(parse(directive('loadbalance {\n  prefer 10.0.0.0/8\n}')).prefer).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-lb-prefer-'));
    try {
      writeFileSync(join(dir, 'w.txt'), 'www.example.com\n10.0.0.1 3\n');
      const d = parseCorefile(`.:53 {\n  loadbalance weighted w.txt {\n    reload 0s\n    prefer 10.0.0.0/8\n  }\n}\n`, join(dir, 'Corefile'))[0]!.directives[0]!;
      expect(parse(d)).toMatchObject({ policy: 'weighted', reload: 0, prefer: [{ family: 4, bits: 8 }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it.each([
    ['loadbalance {\n  prefer\n}', 'Corefile:3 - loadbalance: prefer takes at least 1 argument'],
    ['loadbalance {\n  prefer 10.0.0.0/33\n}', `Corefile:3 - loadbalance: prefer: '10.0.0.0/33' has a bad prefix length (0 to 32)`],
    ['loadbalance {\n  prefer 10.1.0.0/8\n}', `Corefile:3 - loadbalance: prefer: '10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)`],
    ['loadbalance {\n  prefer nope\n}', `Corefile:3 - loadbalance: prefer: 'nope' is not an IP address or CIDR network`],
    ['loadbalance {\n  reload 10s\n}', `Corefile:3 - loadbalance: unknown property 'reload' (reload goes with weighted)`],
    ['loadbalance random', `Corefile:2 - loadbalance: unknown policy 'random' (round_robin or weighted)`],
    ['loadbalance round_robin x', `Corefile:2 - loadbalance: round_robin takes no arguments, got 'x'`],
    ['loadbalance {\n  frob\n}', `Corefile:3 - loadbalance: unknown property 'frob'`],
  ])('fails on %s with FILE:LINE', (body, message) => {
    expect(() => parse(directive(body))).toThrow(message);
  });
  it("loads every Corefile of the README's Examples (the weight file of its weighted example beside them)", async () => {
    const readme = new URL('../README.md', import.meta.url);
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-lb-readme-'));
    writeFileSync(join(dir, 'weights.txt'), [...readFileSync(readme, 'utf8').matchAll(/~~~ txt\n(# [\s\S]*?)~~~/g)][0]![1]!);
    try {
      const examples = await loadReadmeExamples(readme, (text) => loadWith(text, [definition], ['loadbalance', 'cache', 'forward']), (text) => text.replace(/weights\.txt/g, join(dir, 'weights.txt')));
      expect(examples.length).toBeGreaterThanOrEqual(2);
      for (const plugins of examples) expect(plugins).toContain('loadbalance');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
