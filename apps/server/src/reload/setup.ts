import { definePlugin, type Duration } from '@dnsmesh/core';

/** Where the reload directive leaves its settings for the server (one per block; the first wins). */
export class ReloadSettings {
  constructor(readonly interval: Duration, readonly jitter: Duration) {}
}

export const RELOAD_DEFAULTS = { interval: 30_000, jitter: 15_000 } as const;

/**
 * `reload [INTERVAL] [JITTER]` (CoreDNS): the Corefile (and what it imports) is checked every
 * INTERVAL plus up to JITTER, and loaded again when its SHA-512 changed. SIGHUP reloads at once.
 */
export default definePlugin<ReloadSettings>({
  name: 'reload',
  core: '^0.1.0',
  parse(d) {
    const [interval, jitter] = d.expectArgs(0, 2);
    const i = interval?.duration({ min: 2000, max: 24 * 3600_000 }) ?? RELOAD_DEFAULTS.interval;
    const j = jitter?.duration({ min: 1000 }) ?? Math.min(RELOAD_DEFAULTS.jitter, i / 2);
    if (j > i / 2) throw (jitter ?? d.name).fail(`jitter must be at most half the interval (${i / 2} ms), got ${j} ms`);
    if (d.block.length > 0) throw d.block[0]!.name.fail(`unknown property '${d.block[0]!.name.text}'`);
    return new ReloadSettings(i, j);
  },
  create(settings, block) {
    block.provide(ReloadSettings, settings);
    return undefined;
  },
});
