import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, parseCorefile } from '@dnsmesh/core';
import { cache } from '@dnsmesh/cache';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadbalance, parse } from './index.js';
import { canonicalAddress, parseWeights } from './weights.js';

const WEIGHTS = '# www.svc.test: mostly .1\nwww.svc.test\n10.0.0.1 9\n10.0.0.2 1\n# 10.0.0.3 unlisted: weight 0\n\nv6.svc.test\n2001:db8::1 1\n';

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dnsmesh-lb-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('loadbalance weighted', () => {
  it('reads the weight file and its reload, with FILE:LINE errors', () => {
    const d = dir();
    writeFileSync(join(d, 'w.txt'), WEIGHTS);
    writeFileSync(join(d, 'bad.txt'), 'www.svc.test\n10.0.0.1 300\n');
    const directive = (body: string) => parseCorefile(`.:53 {\n${body}\n}\n`, join(d, 'Corefile'))[0]!.directives[0]!;
    const o = parse(directive('loadbalance weighted w.txt {\n  reload 10s\n}'));
    expect(o).toMatchObject({ policy: 'weighted', reload: 10_000 });
    expect(o.policy === 'weighted' && [...o.weights.get('www.svc.test.')!]).toEqual([['10.0.0.1', 9], ['10.0.0.2', 1]]);
    expect(parse(directive('loadbalance weighted w.txt'))).toMatchObject({ reload: 30_000 });
    expect(() => parse(directive('loadbalance weighted bad.txt'))).toThrow("bad.txt:2 - loadbalance: expected a weight from 1 to 255, got '300'");
    expect(() => parse(directive('loadbalance weighted nope.txt'))).toThrow('Corefile:2 - loadbalance: cannot read nope.txt: ENOENT');
    expect(() => parse(directive('loadbalance weighted'))).toThrow('Corefile:2 - loadbalance: weighted needs a WEIGHTFILE');
    expect(() => parseWeights('10.0.0.1 1\n', (l, m) => new Error(`${l}: ${m}`))).toThrow('1: an address line before any domain name');
    expect(canonicalAddress('2001:DB8:0:0::1')).toBe('2001:db8::1');
  });

  it('puts addresses first in proportion to their weights, cached answers too; unlisted names keep their order', async () => {
    const d = dir();
    writeFileSync(join(d, 'w.txt'), WEIGHTS);
    const options = parse(parseCorefile('.:53 {\n  loadbalance weighted w.txt\n}\n', join(d, 'Corefile'))[0]!.directives[0]!);
    const upstream = await fakeUpstream({
      'www.svc.test A': { ttl: 300, data: ['10.0.0.3', '10.0.0.2', '10.0.0.1'] },
      'other.svc.test A': { ttl: 300, data: ['10.0.1.1', '10.0.1.2'] },
    });
    const server = await createServer({ zones: ['.'], port: 0, plugins: [loadbalance(options), cache(), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    const firsts: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const reply = await query(server.address, 'www.svc.test', 'A');
      expect(reply.answers.map((r) => r.data).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      const first = reply.answers[0]!.data as string;
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    expect(upstream.count('www.svc.test')).toBe(1);
    expect(firsts['10.0.0.3']).toBeUndefined(); // weight 0: never first
    expect(firsts['10.0.0.1']!).toBeGreaterThan(firsts['10.0.0.2'] ?? 0); // 9 to 1 (fails with odds of about 1e-9)
    for (let i = 0; i < 5; i++) expect((await query(server.address, 'other.svc.test', 'A')).answers.map((r) => r.data)).toEqual(['10.0.1.1', '10.0.1.2']);
  });
});
