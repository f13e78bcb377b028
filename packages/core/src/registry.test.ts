import { describe, expect, it } from 'vitest';
import { definePlugin } from './plugin.js';
import { PluginRegistry } from './registry.js';
import { CORE_VERSION } from './version.js';

const def = (name: string, core?: string) => definePlugin({
  name, core, order: { before: 'forward' }, parse: () => ({}), create: () => undefined,
});

describe('PluginRegistry core check', () => {
  it('knows its own version', () => {
    expect(CORE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(new PluginRegistry([]).coreVersion).toBe(CORE_VERSION);
  });

  it('takes a plugin whose core range holds this core, or that declares none', () => {
    const r = new PluginRegistry(['cache', 'forward'], '0.1.4');
    r.register(def('a', '^0.1.0'), 'dnsmesh-plugin-a@1.0.0');
    r.register(def('b', '>=0.1.0 <0.3.0'));
    r.register(def('c'));
    expect(r.list().map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(r.order).toEqual(['cache', 'a', 'b', 'c', 'forward']);
  });

  it('refuses a mismatch, naming the plugin, where it came from and both versions', () => {
    const r = new PluginRegistry(['cache', 'forward'], '0.2.0');
    expect(() => r.register(def('hosts', '^0.1.0'), 'dnsmesh-plugin-hosts@0.1.0')).toThrow(
      "plugin 'hosts' (dnsmesh-plugin-hosts@0.1.0) works with @dnsmesh/core ^0.1.0, but this server has @dnsmesh/core 0.2.0",
    );
    expect(r.has('hosts')).toBe(false);
    expect(r.order).not.toContain('hosts');
  });

  it('refuses a core field that is not a range', () => {
    const r = new PluginRegistry(['forward']);
    expect(() => r.register(def('x', 'latest'), 'dnsmesh-plugin-x@1.0.0')).toThrow(/plugin 'x' \(dnsmesh-plugin-x@1\.0\.0\) declares core "latest", which is not a semver range/);
  });
});
