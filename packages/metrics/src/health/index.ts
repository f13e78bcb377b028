import { definePlugin, type ServerBlock } from '@dnsmesh/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { methodNotAllowed, mount, text, type Mounted, type Route } from '../http/listener.js';
import { startSelfCheck } from './self-check.js';
import { parse, resolveOptions, type HealthInput, type HealthOptions } from './setup.js';

export { parse as parseHealth, MAX_LAMEDUCK, type HealthOptions, type HealthInput } from './setup.js';

/**
 * `GET /health`: 200 `OK` while the process serves (liveness, as CoreDNS); 503 `shutting down`
 * once a stop has begun (through the lameduck period, while DNS is still answered).
 */
export const healthRoute: Route = (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  if (blocks.some((b) => b.shuttingDown)) text(res, 503, 'shutting down');
  else text(res, 200, 'OK');
};

/**
 * Serves `/health` while the block runs. With `lameduck`, a stop first waits that long with DNS
 * still answered and `/health` (and `/ready`) at 503, so a load balancer or kube-proxy takes the
 * instance out before it stops reading; then the server drains and closes. Takes no place in the chain.
 */
export function createHealth(options: HealthOptions, block: ServerBlock): undefined {
  let mounted: Mounted | undefined;
  let stopCheck: (() => void) | undefined;
  block.onStart(async () => {
    mounted = await mount('health', options.address, block, { '/health': healthRoute });
    stopCheck = startSelfCheck(mounted.url, block);
  });
  block.onShutdown(async () => {
    if (options.lameduck > 0) {
      block.logger.info({ lameduck_ms: options.lameduck }, 'lameduck: still answering DNS, /health and /ready report shutting down');
      await lameduck(block, options.lameduck);
    }
  });
  block.onStop(async () => { stopCheck?.(); await mounted?.unmount(); });
  return undefined;
}

/** One lameduck wait per server (its blocks share a registry), not one per block stopping in turn. */
const waits = new WeakMap<object, { until: number; done: Promise<unknown> }>();

function lameduck(block: ServerBlock, ms: number): Promise<unknown> {
  const now = Date.now();
  const seen = waits.get(block.metrics);
  if (seen !== undefined && seen.until >= now - 1000) return seen.done;
  const wait = { until: now + ms, done: sleep(ms) };
  waits.set(block.metrics, wait);
  return wait.done;
}

/** health for code composition: `createServer({ plugins: [healthPlugin({ address: '127.0.0.1:8080' }), ...] })`. */
export function healthPlugin(input: HealthInput = {}): (block: ServerBlock) => undefined {
  const options = resolveOptions(input);
  return (block) => createHealth(options, block);
}

/** `health [ADDRESS] { lameduck DURATION }`. */
export const health = definePlugin<HealthOptions>({
  name: 'health',
  core: '^0.1.0',
  parse,
  create: createHealth,
});
