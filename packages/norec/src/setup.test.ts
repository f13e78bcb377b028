import cacheDefinition from '@dnsmesh/cache';
import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import norecDefinition, { NorecPlugin, norec } from './index.js';
import { parse } from './setup.js';

const load = (text: string) => loadWith(text, [norecDefinition, cacheDefinition], ['acl', 'norec', 'any', 'cache', 'forward']);

describe('norec setup', () => {
  it.each(['refuse', 'cache', 'forward'])('norec %s', (mode) => {
    expect(parse(directiveOf(`norec ${mode}`))).toBe(mode);
  });

  const bad: [string, string][] = [
    ['norec', 'Corefile:2 - norec: takes exactly 1 argument, got 0'],
    ['norec yes', "Corefile:2 - norec: expected refuse, cache or forward, got 'yes'"],
    ['norec cache forward', 'Corefile:2 - norec: takes exactly 1 argument, got 2'],
    ['norec cache {\n}', 'Corefile:2 - norec: takes no block'],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directiveOf(text))).toThrow(message);
  });

  it('finds the cache store of its block in cache mode', async () => {
    const [block] = await load('.:53 {\n  norec cache\n  cache\n}\n');
    const plugin = block!.plugins[0] as NorecPlugin;
    expect(plugin.name).toBe('norec');
    expect(plugin.store).toBeDefined();
    const [bare] = await load('.:53 {\n  norec cache\n}\n');
    expect((bare!.plugins[0] as NorecPlugin).store).toBeUndefined();
  });

  it('checks code input', () => {
    expect(() => norec('snoop' as never)).toThrow('norec: mode must be refuse, cache or forward, got "snoop"');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(1);
    for (const plugins of examples) expect(plugins).toContain('norec');
  });
});
