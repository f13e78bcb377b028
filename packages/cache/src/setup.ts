import type { Directive, Property, ServerBlock, Token } from '@dnsmesh/core';
import { DEFAULTS, MAX_SERVFAIL, MAX_TTL, type CacheOptions, type Tier } from './options.js';

/**
 * `cache [TTL] [ZONES...] { success CAP [TTL [MINTTL]]; denial CAP [TTL [MINTTL]]; servfail DUR;
 * disable success|denial [ZONES...]; keepttl; max_bytes SIZE; prefetch ...; serve_stale ... }`
 */
export function parse(d: Directive, block?: ServerBlock): CacheOptions {
  const args = d.args.slice();
  const ttl = args[0]?.isInt() ? args.shift()!.int({ min: 1, max: MAX_TTL }) : undefined;
  let success: Tier = { ...DEFAULTS.success, maxTtl: ttl ?? DEFAULTS.success.maxTtl };
  let denial: Tier = { ...DEFAULTS.denial, maxTtl: ttl ?? DEFAULTS.denial.maxTtl };
  let servfail = DEFAULTS.servfail;
  let keepttl = false;
  let maxBytes = DEFAULTS.maxBytes;
  const disable = { success: [] as string[], denial: [] as string[] };
  for (const p of d.block) {
    switch (p.name.text) {
      case 'success': success = tier(p, success); break;
      case 'denial': denial = tier(p, denial); break;
      case 'servfail': servfail = p.expectArgs(1, 1)[0]!.duration({ min: 0, max: MAX_SERVFAIL }); break;
      case 'keepttl': p.expectArgs(0, 0); keepttl = true; break;
      case 'max_bytes': maxBytes = size(p.expectArgs(1, 1)[0]!); break;
      case 'disable': {
        const [which, ...zones] = p.expectArgs(1);
        if (which!.text !== 'success' && which!.text !== 'denial') throw which!.fail(`disable takes success or denial, got '${which!.text}'`);
        disable[which!.text].push(...(zones.length > 0 ? zones.map((z) => z.zone()) : d.serverZones));
        break;
      }
      case 'prefetch': case 'serve_stale':
        // CoreDNS writes these inside cache: they configure the prefetch and serve_stale plugins.
        if (block?.handOff === undefined) throw p.name.fail(`${p.name.text} inside cache needs the ${p.name.text} plugin installed`);
        block.handOff(p.name.text, p);
        break;
      default: throw p.name.fail(`unknown property '${p.name.text}'`);
    }
  }
  return {
    zones: args.length > 0 ? args.map((a) => a.zone()) : d.serverZones,
    success, denial, servfail, disable, keepttl, maxBytes,
  };
}

function tier(p: Property, base: Tier): Tier {
  const [cap, max, min] = p.expectArgs(1, 3);
  const maxTtl = max?.int({ min: 1, max: MAX_TTL }) ?? base.maxTtl;
  const minTtl = min?.int({ min: 0, max: maxTtl }) ?? Math.min(base.minTtl, maxTtl);
  return { capacity: cap!.int({ min: 1 }), maxTtl, minTtl };
}

/** "64M", "1G", "500k" or a plain number of bytes. */
function size(t: Token): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(t.text);
  if (m === null) throw t.fail(`expected a size such as 64M, got '${t.text}'`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = Number(m[1]) * unit;
  if (bytes < 65536) throw t.fail(`max_bytes must be at least 64k, got '${t.text}'`);
  return bytes;
}
