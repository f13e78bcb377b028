import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import definition from './index.js';
import { parse } from './setup.js';
import { parseRecord } from './rr-text.js';

const directive = (body: string) => parseCorefile(`example.:53 {\n${body}\n}\n`, 'Corefile')[0]!.directives[0]!;

describe('template setup', () => {
  it('reads class, type, zones and the block', () => {
    const o = parse(directive('template IN A a.example b.example {\n  match ^x ^y\n  answer "{{ .Name }} 60 IN A 10.0.0.1"\n  rcode NOERROR\n  fallthrough\n}'));
    expect(o).toMatchObject({ qclass: 1, qtype: 1, zones: ['a.example.', 'b.example.'], rcode: 0, fallthrough: ['.'] });
    expect(o.regex.map((r) => r.source)).toEqual(['^x', '^y']);
    expect(o.answer).toHaveLength(1);
    expect(parse(directive('template ANY ANY'))).toMatchObject({ qclass: 255, qtype: 255, zones: ['example.'], ede: undefined });
    expect(parse(directive('template IN A {\n  ederror 15 "blocked by policy"\n}')).ede).toEqual({ code: 15, reason: 'blocked by policy' });
    expect(parse(directive('template IN A {\n  ederror 24\n}')).ede).toEqual({ code: 24, reason: undefined });
  });
  it.each([
    ['template IN', 'Corefile:2 - template: takes at least 2 arguments, got 1'],
    ['template XX A', `Corefile:2 - template: unknown class 'XX' (IN, CH or ANY)`],
    ['template IN NOPE', `Corefile:2 - template: unknown record type 'NOPE'`],
    ['template IN A {\n  match (\n}', `Corefile:3 - template: bad regular expression '('`],
    ['template IN A {\n  rcode WHAT\n}', `Corefile:3 - template: unknown rcode 'WHAT'`],
    ['template IN A {\n  frob\n}', `Corefile:3 - template: unknown property 'frob'`],
    ['template IN A {\n  ederror\n}', 'Corefile:3 - template: ederror takes 1 to 2 arguments, got 0'],
    ['template IN A {\n  ederror 15 a b\n}', 'Corefile:3 - template: ederror takes 1 to 2 arguments, got 3'],
    ['template IN A {\n  ederror blocked\n}', `Corefile:3 - template: bad extended DNS error code 'blocked' (0 to 65535, RFC 8914)`],
    ['template IN A {\n  ederror 70000\n}', `Corefile:3 - template: bad extended DNS error code '70000' (0 to 65535, RFC 8914)`],
  ])('fails on %j with FILE:LINE', (body, message) => {
    expect(() => parse(directive(body))).toThrow(message);
  });
  it('parses zone-file records', () => {
    expect(parseRecord('a.example. 60 IN A 10.0.0.1')).toEqual({ name: 'a.example', ttl: 60, class: 'IN', type: 'A', data: '10.0.0.1' });
    expect(parseRecord('a.example AAAA ::1')).toMatchObject({ ttl: 3600, type: 'AAAA', data: '::1' });
    expect(parseRecord('a.example 5 MX 10 mx.example.')).toMatchObject({ data: { preference: 10, exchange: 'mx.example' } });
    expect(parseRecord('a.example 5 TXT "two words" more')).toMatchObject({ data: ['two words', 'more'] });
    expect(() => parseRecord('a.example 5 A 10.0.0')).toThrow("'10.0.0' is not an IPv4 address");
    expect(() => parseRecord('a.example 5 SRV 1 2 3')).toThrow('SRV takes 4 data fields, got 3');
  });
  it("loads every Corefile of the README's Examples", async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [definition], ['cache', 'template', 'forward']));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const plugins of examples) expect(plugins).toContain('template');
  });
});
