import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import anyDefinition, { AnyPlugin, anyPlugin } from './index.js';
import { parse } from './setup.js';

const load = (text: string) => loadWith(text, [anyDefinition], ['acl', 'any', 'cache', 'forward']);

describe('any setup', () => {
  it('takes no arguments', () => {
    expect(parse(directiveOf('any'))).toEqual({});
  });

  const bad: [string, string][] = [
    ['any udp', 'Corefile:2 - any: takes no arguments, got 1'],
    ['any {\n  tcp\n}', "Corefile:3 - any: unknown property 'tcp'"],
    ['any {\n}', 'Corefile:2 - any: takes no block'],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directiveOf(text))).toThrow(message);
  });

  it('makes a plugin that answers every ANY (UDP and TCP)', async () => {
    const [block] = await load('.:53 {\n  any\n}\n');
    expect(block!.plugins).toHaveLength(1);
    expect((block!.plugins[0] as AnyPlugin).scope).toBe('all');
  });

  it('checks code input', () => {
    expect(() => anyPlugin('tcp' as never)).toThrow("any: scope must be 'all' or 'udp', got \"tcp\"");
    expect(typeof anyPlugin('udp')).toBe('function');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('any');
  });
});
