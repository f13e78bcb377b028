import { definePlugin, type ServerBlock } from '@dnsmesh/core';
import { methodNotAllowed, mount, text, type Mounted, type Route } from '../http/listener.js';
import { parse, resolveOptions, type ReadyInput, type ReadyOptions } from './setup.js';

export { parse as parseReady, type ReadyOptions, type ReadyInput } from './setup.js';

/** The plugins not ready, of every block that named this address: sorted, each once. */
export function notReady(blocks: readonly ServerBlock[]): string[] {
  return [...new Set(blocks.flatMap((b) => b.notReady()))].sort();
}

/**
 * `GET /ready`: 200 `OK` once every plugin that can say (`ready()`) is ready, in every block that
 * names this address; else 503 with the names of those that are not, comma-separated (CoreDNS);
 * 503 `shutting down` once a stop has begun (lameduck, as CoreDNS).
 */
export const readyRoute: Route = (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  if (blocks.some((b) => b.shuttingDown)) return text(res, 503, 'shutting down');
  const waiting = notReady(blocks);
  if (waiting.length === 0) text(res, 200, 'OK');
  else text(res, 503, waiting.join(','));
};

/** Serves `/ready` while the block runs. Takes no place in the chain. */
export function createReady(options: ReadyOptions, block: ServerBlock): undefined {
  let mounted: Mounted | undefined;
  block.onStart(async () => {
    mounted = await mount('ready', options.address, block, { '/ready': readyRoute });
  });
  block.onStop(async () => { await mounted?.unmount(); });
  return undefined;
}

/** ready for code composition: `createServer({ plugins: [readyPlugin({ address: '127.0.0.1:8181' }), ...] })`. */
export function readyPlugin(input: ReadyInput = {}): (block: ServerBlock) => undefined {
  const options = resolveOptions(input);
  return (block) => createReady(options, block);
}

/** `ready [ADDRESS]`. */
export const ready = definePlugin<ReadyOptions>({
  name: 'ready',
  core: '^0.1.0',
  parse,
  create: createReady,
});
