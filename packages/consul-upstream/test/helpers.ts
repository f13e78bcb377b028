import { cache } from '@dnsmesh/cache';
import { startConsulSim, type ConsulSim, type SimOptions } from '@dnsmesh/consul-sim';
import { after, createServer, type DnsServer, type Plugin, type PluginInput, type QueryState } from '@dnsmesh/core';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import { consul, type ConsulInput, type ConsulPlugin } from '../src/index.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A simulator on 127.0.0.1:0 with three `web` instances (tags primary/secondary) on three nodes. */
export async function sim(options: SimOptions = {}, populate = true): Promise<ConsulSim> {
  const s = await startConsulSim(options);
  cleanups.push(() => s.close());
  if (populate) {
    for (let i = 1; i <= 3; i++) {
      s.registerNode({ name: `n${i}`, address: `10.1.0.${i}`, meta: { zone: `z${i}` } });
      s.registerService({ id: `web-${i}`, name: 'web', node: `n${i}`, port: 8080 + i, tags: i === 2 ? ['secondary'] : ['primary'] });
    }
  }
  return s;
}

export interface Resolver {
  readonly server: DnsServer;
  readonly address: string;
  readonly plugin: Plugin;
  readonly states: QueryState[];
  readonly metrics: Registry;
}

/**
 * A resolver on 127.0.0.1:0 whose chain is [spy, cache? , consul]; the spy keeps what the chain
 * left in ctx.state. Short waits and backoffs so tests run fast.
 */
export async function resolver(input: ConsulInput, opts: { cache?: boolean; before?: PluginInput[] } = {}): Promise<Resolver> {
  let plugin: Plugin | undefined;
  const states: QueryState[] = [];
  const spy: Plugin = { name: 'spy', handle: (ctx, next) => after(next(ctx), (reply) => { states.push({ ...ctx.state }); return reply; }) };
  const metrics = new Registry();
  const fast: Partial<ConsulInput> = input.http !== undefined ? { wait: 10_000, backoffMin: 50, backoffMax: 200, rateInterval: 50 } : {};
  const server = await createServer({
    port: 0, metrics,
    plugins: [spy, ...(opts.cache === true ? [cache()] : []), ...(opts.before ?? []), (block) => (plugin = consul({ ...fast, ...input })(block))],
  }).start();
  cleanups.push(() => server.stop(0));
  return { server, address: server.address, plugin: plugin!, states, metrics };
}

export function catalogPlugin(r: Resolver): ConsulPlugin {
  return r.plugin as ConsulPlugin;
}

/** Polls `fn` until it returns true or `ms` pass; returns the time it took. */
export async function until(fn: () => Promise<boolean> | boolean, ms = 3000, every = 10): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
