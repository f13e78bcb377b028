import { definePlugin, publishMetric, type ServerBlock } from '@dnsmesh/core';
import { mount, type Mounted, type Route } from '../http/listener.js';
import { AdminCounts, guarded } from './guard.js';
import { cacheRoute, flushRoute } from './http.js';
import { reloadRoute, statsRoute, statusRoute } from './control.js';
import { parse, resolveOptions, type AdminInput, type AdminOptions } from './setup.js';

export { cacheLine, cacheRoute, flushRoute, SLICE_MS, type CacheLine } from './http.js';
export { AdminCounts, guarded, isLoopback, type Refusal } from './guard.js';
export { parse as parseAdmin, DEFAULT_HOST as ADMIN_DEFAULT_HOST, MIN_TOKEN_LENGTH, type AdminOptions, type AdminInput } from './setup.js';

/**
 * Serves the cache dump and flush while the block runs, behind the guard (Host, Origin, token;
 * see guard.ts). The cache store is looked up per request (`block.find(CacheStore)`), so a block
 * without `cache` lists nothing. Takes no place in the chain.
 */
export function createAdmin(options: AdminOptions, block: ServerBlock): undefined {
  const counts = new AdminCounts();
  let mounted: Mounted | undefined;
  let off: (() => void) | undefined;
  block.onStart(async () => {
    const guard = (route: Route): Route => guarded(options, counts, route);
    mounted = await mount('admin', options.address, block, {
      '/cache': guard(cacheRoute), '/cache/flush': guard(flushRoute), '/status': guard(statusRoute), '/stats': guard(statsRoute), '/reload': guard(reloadRoute),
    });
    const server = block.serverLabel;
    off = publishMetric(block.metrics, 'counter', 'dnsmesh_admin_refused_total', 'Admin requests refused: foreign Host or Origin, missing or wrong token, a change from off loopback without a token.',
      ['server', 'reason'], () => [...counts.refused].map(([reason, n]) => [{ server, reason }, n] as const));
  });
  block.onStop(async () => { off?.(); off = undefined; await mounted?.unmount(); });
  return undefined;
}

/** admin for code composition: `createServer({ plugins: [adminPlugin({ address: '127.0.0.1:8053', token }), cache(), ...] })`. */
export function adminPlugin(input: AdminInput): (block: ServerBlock) => undefined {
  const options = resolveOptions(input);
  return (block) => createAdmin(options, block);
}

/**
 * `admin ADDRESS { token TOKEN | token_file PATH }`: `GET /cache[?name=N&type=T]` (JSON lines),
 * `POST /cache/flush[?name=N&type=T]`, `GET /status`, `GET /stats`, `POST /reload` (what
 * `dnsmesh ctl` uses), every one behind the guard.
 */
export const admin = definePlugin<AdminOptions>({
  name: 'admin',
  core: '^0.1.0',
  parse,
  create: createAdmin,
});
