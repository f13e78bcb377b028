import { readFileSync } from 'node:fs';
import cache from '@dnsmesh/cache';
import { loadBlocks, manualClock, parseCorefile, PluginRegistry } from '@dnsmesh/core';
import forward from '@dnsmesh/forward';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import staticPlugin, { parse } from './index.js';

const directive = (body: string) => parseCorefile(`svc.test.:53 {\n${body}\n}\n`, 'Corefile')[0]!.directives[0]!;

describe('static setup', () => {
  it('reads NAME ADDRESS... lines and ttl', () => {
    const o = parse(directive('static {\n  web.svc.test 10.0.0.7 fd00::7\n  WEB.svc.test. 10.0.0.8\n  ttl 30\n}'));
    expect(o.ttl).toBe(30);
    expect(o.names.get('web.svc.test.')).toEqual({ v4: ['10.0.0.7', '10.0.0.8'], v6: ['fd00::7'] });
  });
  it.each([
    ['static x', 'Corefile:2 - static: takes no arguments, got 1'],
    ['static {\n  web.svc.test\n}', 'Corefile:3 - static: web.svc.test takes at least 1 argument, got 0'],
    ['static {\n  web.svc.test 10.0.0.300\n}', `Corefile:3 - static: expected an IP address, got '10.0.0.300'`],
    ['static {\n  we$b 10.0.0.1\n}', `Corefile:3 - static: expected a name, got 'we$b'`],
    ['static {\n  ttl -1\n}', 'Corefile:3 - static: expected an integer between 0 and 65535'],
  ])('fails on %j with FILE:LINE', (body, message) => {
    expect(() => parse(directive(body))).toThrow(message);
  });
  it("takes its place before cache, and loads the README's Examples", async () => {
    const registry = new PluginRegistry(['bind', 'log', 'cache', 'forward']);
    registry.register(cache);
    registry.register(forward);
    registry.register(staticPlugin, 'dnsmesh-plugin-static@0.1.0'); // as the server registers a package
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    for (const text of examples) {
      const [block] = await loadBlocks(parseCorefile(text, 'Corefile'), { registry, clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53 });
      expect(block!.plugins.map((p) => p.name)).toEqual(['static', 'cache', 'forward']);
    }
  });
});
