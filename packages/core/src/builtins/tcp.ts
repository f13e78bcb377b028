import type { Property, Token } from '../corefile/index.js';
import { TCP_LIMITS, type TcpOptions } from '../edge/tcp-options.js';
import { definePlugin } from '../plugin.js';

/** Corefile property name -> option. */
const PROPERTIES: Record<string, keyof TcpOptions> = {
  max_connections: 'maxConnections',
  max_per_client: 'maxPerClient',
  max_inflight: 'maxInflight',
  max_unsent: 'maxUnsent',
  max_unsent_total: 'maxUnsentTotal',
  idle_timeout: 'idleTimeout',
  frame_timeout: 'frameTimeout',
};
const SIZES = new Set<keyof TcpOptions>(['maxUnsent', 'maxUnsentTotal']);
const DURATIONS = new Set<keyof TcpOptions>(['idleTimeout', 'frameTimeout']);

/**
 * `tcp { max_connections N; max_per_client N; max_inflight N; max_unsent SIZE;
 * max_unsent_total SIZE; idle_timeout D; frame_timeout D }`: the bounds of the block's TCP
 * listeners. Like `bind`, it configures the server and takes no place in the chain.
 */
export default definePlugin<Partial<TcpOptions>>({
  name: 'tcp',
  core: '^0.1.0',
  parse(d) {
    d.expectArgs(0, 0);
    if (!d.hasBlock || d.block.length === 0) throw d.fail('needs a block of limits, like tcp { max_connections 1000 }');
    const out: Partial<Record<keyof TcpOptions, number>> = {};
    for (const p of d.block) {
      const key = PROPERTIES[p.name.text];
      if (key === undefined) throw p.fail(`unknown property '${p.name.text}' (${Object.keys(PROPERTIES).join(', ')})`);
      if (out[key] !== undefined) throw p.fail(`${p.name.text} is set twice`);
      out[key] = value(p, key);
    }
    return out;
  },
  create(options, block) {
    block.tcp = options;
    return undefined;
  },
});

function value(p: Property, key: keyof TcpOptions): number {
  const t = p.expectArgs(1, 1)[0]!;
  const range = TCP_LIMITS[key];
  if (DURATIONS.has(key)) return t.duration(range);
  if (SIZES.has(key)) return size(t, range);
  return t.int(range);
}

/** `65536`, `64k`, `4m`, `1g` (KiB, MiB, GiB). */
export function size(t: Token, range: { min: number; max: number }): number {
  const m = /^(\d+)([kmg]?)$/i.exec(t.text);
  const n = m === null ? NaN : Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  if (n >= range.min && n <= range.max) return n;
  throw t.fail(`expected a size between ${range.min} and ${range.max} bytes (like 64k or 4m), got '${t.text}'`);
}
