import { loadBlocks, manualClock, parseCorefile } from '@dnsmesh/core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { applyBlockDefaults } from './defaults.js';
import { builtinRegistry } from './plugins.js';

async function chain(body: string): Promise<string[]> {
  const registry = builtinRegistry();
  const blocks = await loadBlocks(parseCorefile(`.:53 {\n${body}\n}\n`, 'Corefile'), {
    registry, clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53,
  });
  applyBlockDefaults(blocks, registry);
  return blocks[0]!.plugins.map((p) => p.name);
}

describe('block defaults', () => {
  it('adds the default access policy and minimal ANY at their places in the order', async () => {
    expect(await chain('  forward . 127.0.0.1:5300\n  cache\n  log')).toEqual(['log', 'acl', 'norec', 'any', 'cache', 'forward']);
    expect(await chain('  forward . 127.0.0.1:5300\n  ratelimit 10\n  errors')).toEqual(['errors', 'ratelimit', 'acl', 'norec', 'any', 'forward']);
    expect(await chain('')).toEqual(['acl', 'norec', 'any']);
  });

  it('adds nothing for a directive the block names', async () => {
    const names = await chain('  acl {\n    allow net *\n  }\n  any\n  norec forward\n  forward . 127.0.0.1:5300');
    expect(names).toEqual(['acl', 'norec', 'any', 'forward']);
  });
});
