import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { after } from './chain.js';
import { parseCorefile } from './corefile/index.js';
import { loadBlocks } from './loader.js';
import { DnsMessage } from './message.js';
import { definePlugin, type Plugin } from './plugin.js';
import { PluginRegistry } from './registry.js';
import { manualClock } from './units.js';

const named = (name: string): Plugin => ({ name, handle: (ctx, next) => next(ctx) });
const simple = (name: string, extra: object = {}) => definePlugin<string[]>({
  name, parse: (d) => d.args.map((a) => a.text), create: () => named(name), ...extra,
});

function registry() {
  const r = new PluginRegistry(['bind', 'log', 'serve_stale', 'cache', 'forward']);
  r.register(simple('log'));
  r.register(simple('cache', {
    parse: (d: any, block: any) => { for (const p of d.block) block.handOff(p.name.text, p); return []; },
  }));
  r.register(simple('serve_stale', { needs: ['cache'] }));
  r.register(simple('forward'));
  return r;
}

async function load(text: string, r = registry()) {
  return loadBlocks(parseCorefile(text, 'Corefile'), { registry: r, clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53 });
}

describe('loadBlocks', () => {
  it('orders the chain by the list, not by the Corefile', async () => {
    const [block] = await load('. {\n forward x\n cache\n log\n}\n');
    expect(block!.plugins.map((p) => p.name)).toEqual(['log', 'cache', 'forward']);
  });

  it('places a third-party plugin by before/after', async () => {
    const r = registry();
    r.register(simple('rewrite', { order: { before: 'cache' } }), 'dnsmesh-plugin-rewrite');
    const [block] = await load('. {\n forward x\n rewrite\n cache\n log\n}\n', r);
    expect(block!.plugins.map((p) => p.name)).toEqual(['log', 'rewrite', 'cache', 'forward']);
    expect(r.list().find((p) => p.name === 'rewrite')?.origin).toBe('dnsmesh-plugin-rewrite');
  });

  it('refuses a third-party plugin with no order, or anchored to an unknown directive', () => {
    expect(() => registry().register(simple('x'))).toThrow(/must declare order/);
    expect(() => registry().register(simple('x', { order: { after: 'nope' } }))).toThrow(/not a known directive/);
  });

  it('fails an unknown directive with FILE:LINE', async () => {
    await expect(load('. {\n cache\n frob 1\n}\n')).rejects.toThrow("Corefile:3 - frob: unknown directive 'frob'");
  });

  it('fails a plugin that needs another one missing from the block', async () => {
    await expect(load('. {\n serve_stale\n forward x\n}\n')).rejects.toThrow('Corefile:2 - serve_stale: needs the cache plugin in this server block');
  });

  it('hands properties inside cache to their plugins (cache { serve_stale })', async () => {
    const [block] = await load('. {\n cache {\n  serve_stale 1h\n }\n forward x\n}\n');
    expect(block!.plugins.map((p) => p.name)).toEqual(['serve_stale', 'cache', 'forward']);
  });

  it('rejects a plugin configured both inside cache and on its own', async () => {
    await expect(load('. {\n serve_stale\n cache {\n  serve_stale 1h\n }\n}\n')).rejects.toThrow(/Corefile:4 - .*configured twice/);
  });

  it('rejects a directive used twice in a block unless the plugin is repeatable, naming both lines', async () => {
    await expect(load('. {\n cache\n forward x\n cache\n}\n')).rejects.toThrow(
      'Corefile:4 - cache: this plugin can only be used once per server block (first at Corefile:2)');
    const r = registry();
    r.register(simple('bind', { repeatable: true }));
    const [block] = await load('. {\n bind 127.0.0.1\n bind ::1\n cache\n}\n', r);
    expect(block!.plugins.map((p) => p.name)).toEqual(['bind', 'bind', 'cache']);
    // The same directive in two blocks is no repeat.
    await expect(load('a. {\n cache\n}\nb. {\n cache\n}\n')).resolves.toHaveLength(2);
  });

  it('makes one block per port and keeps zones together', async () => {
    const blocks = await load('a.test:53 b.test:53 c.test:54 {\n log\n}\n');
    expect(blocks.map((b) => [b.port, b.zones])).toEqual([[53, ['a.test.', 'b.test.']], [54, ['c.test.']]]);
  });

  it('rejects the same zone on the same port twice, after the default port applies', async () => {
    await expect(load('. {\n}\n.:53 {\n}\n')).rejects.toThrow(/defined twice/);
  });

  it('after() keeps a synchronous reply synchronous', () => {
    const m = new DnsMessage(Buffer.alloc(12));
    expect(after(m, () => 1)).toBe(1);
    expect(after(Promise.resolve(m), () => 1)).toBeInstanceOf(Promise);
  });
});
