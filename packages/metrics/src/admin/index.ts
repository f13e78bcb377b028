import { definePlugin, type ServerBlock } from '@dnsmesh/core';
import { mount, type Mounted } from '../http/listener.js';
import { cacheRoute, flushRoute } from './http.js';
import { reloadRoute, statsRoute, statusRoute } from './control.js';
import { parse, resolveOptions, type AdminInput, type AdminOptions } from './setup.js';

export { cacheLine, cacheRoute, flushRoute, type CacheLine } from './http.js';
export { parse as parseAdmin, type AdminOptions, type AdminInput } from './setup.js';

/**
 * Serves the cache dump and flush while the block runs. The cache store is looked up per request
 * (`block.find(CacheStore)`), so a block without `cache` lists nothing. Takes no place in the chain.
 */
export function createAdmin(options: AdminOptions, block: ServerBlock): undefined {
  let mounted: Mounted | undefined;
  block.onStart(async () => {
    mounted = await mount('admin', options.address, block, { '/cache': cacheRoute, '/cache/flush': flushRoute, '/status': statusRoute, '/stats': statsRoute, '/reload': reloadRoute });
  });
  block.onStop(async () => { await mounted?.unmount(); });
  return undefined;
}

/** admin for code composition: `createServer({ plugins: [adminPlugin({ address: '127.0.0.1:8053' }), cache(), ...] })`. */
export function adminPlugin(input: AdminInput): (block: ServerBlock) => undefined {
  const options = resolveOptions(input);
  return (block) => createAdmin(options, block);
}

/**
 * `admin ADDRESS`: `GET /cache[?name=N&type=T]` (JSON lines), `POST /cache/flush[?name=N&type=T]`,
 * `GET /status`, `GET /stats`, `POST /reload` (what `dnsmesh ctl` uses).
 */
export const admin = definePlugin<AdminOptions>({
  name: 'admin',
  core: '^0.1.0',
  parse,
  create: createAdmin,
});
