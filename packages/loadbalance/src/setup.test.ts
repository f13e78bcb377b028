import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { parse } from './setup.js';

const directive = (body: string) => parseCorefile(`.:53 {\n${body}\n}\n`, 'Corefile')[0]!.directives[0]!;

describe('loadbalance setup', () => {
  it.each(['loadbalance', 'loadbalance round_robin'])('%s is round_robin', (body) => {
    expect(parse(directive(body))).toEqual({ policy: 'round_robin' });
  });
  it.each([
    ['loadbalance random', `Corefile:2 - loadbalance: unknown policy 'random' (round_robin or weighted)`],
    ['loadbalance round_robin x', `Corefile:2 - loadbalance: round_robin takes no arguments, got 'x'`],
    ['loadbalance {\n  frob\n}', `Corefile:3 - loadbalance: unknown property 'frob'`],
  ])('fails on %s with FILE:LINE', (body, message) => {
    expect(() => parse(directive(body))).toThrow(message);
  });
  it("parses every Corefile of the README's Examples", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-lb-readme-'));
    writeFileSync(join(dir, 'weights.txt'), [...readme.matchAll(/~~~ txt\n(# [\s\S]*?)~~~/g)][0]![1]!);
    try {
      for (const text of examples) {
        const d = parseCorefile(text, join(dir, 'Corefile'))[0]!.directives.find((x) => x.name.text === 'loadbalance')!;
        expect(['round_robin', 'weighted']).toContain(parse(d).policy);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
