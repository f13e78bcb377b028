import { readFileSync } from 'node:fs';
import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { parse } from './setup.js';

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
  ])('%s', (line, want) => {
    expect(rule(line)).toMatchObject(want);
  });
  it('reads regex rules with answer name and value', () => {
    const r = rule('name regex (.*)\\.sd\\.$ {1}.query.consul answer name (.*)\\.query\\.consul\\.$ {1}.sd answer value x y');
    expect(r).toMatchObject({ match: 'regex', to: '{1}.query.consul' });
    expect((r as { answerName: unknown[] }).answerName).toHaveLength(1);
  });
  it('reads the block form, as CoreDNS', () => {
    const d = parseCorefile('.:53 {\n  rewrite stop {\n    name regex (.*)\\.sd\\.$ {1}.query.consul\n    answer name (.*)\\.query\\.consul\\.$ {1}.sd\n  }\n}\n', 'Corefile')[0]!.directives[0]!;
    const r = parse(d);
    expect(r).toMatchObject({ field: 'name', mode: 'stop', match: 'regex', to: '{1}.query.consul' });
    expect((r as { answerName: [RegExp, string][] }).answerName.map(([re, to]) => [re.source, to])).toEqual([['(.*)\\.query\\.consul\\.$', '{1}.sd']]);
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
    ['edns0 local set 0xffee abc', 'Corefile:2 - rewrite: the edns0 field is not supported yet'],
    ['frob a b', `Corefile:2 - rewrite: unknown field 'frob'`],
  ])('fails on %j with FILE:LINE', (line, message) => {
    expect(() => rule(line)).toThrow(message);
  });
  it("parses every Corefile of the README's Examples", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const text of examples) {
      for (const d of parseCorefile(text, 'Corefile')[0]!.directives.filter((x) => x.name.text === 'rewrite')) expect(parse(d).field).toBeDefined();
    }
  });
});
