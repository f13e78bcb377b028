import type { CacheStore } from '@dnsmesh/cache';
import type { Clock, Instant, ServerBlock } from '@dnsmesh/core';
import type { HttpGet } from './http.js';
import type { ConsulCounts } from './metrics.js';
import { parseName } from './names.js';
import type { ConsulOptions } from './options.js';
import { healthView, nodeView, type NodeInfo, type View } from './view.js';
import { realTimers, Watch, type WatchTimers } from './watch.js';

/** The block's pino logger (its type, through core). */
type Logger = ServerBlock['logger'];

/** Names remembered per watch for the flush; past this, a change scans the cache instead. */
const MAX_ANSWERED = 4096;
/** How long a watch with an empty view (NXDOMAIN) lives unasked, at most. */
const EMPTY_IDLE = 60_000;

export interface CatalogDeps {
  readonly get: HttpGet;
  readonly clock: Clock;
  readonly counts: ConsulCounts;
  readonly logger: Logger;
  readonly timers?: WatchTimers;
  readonly random?: () => number;
}

/**
 * The watches of one consul plugin: one per (service, datacenter) asked for, and one per node
 * asked for that no service view knows, each fed by its own blocking query. It drops the names a
 * watch answered from the cache store of the same server block when the watch's answers change,
 * and stops watches nobody asked for in `idle`.
 */
export class ConsulCatalog {
  readonly #watches = new Map<string, Watch>();
  readonly #deps: CatalogDeps;
  #store: CacheStore | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The agent's own datacenter, as the views of watches without `dc` report it. */
  #agentDc: string | undefined;

  constructor(readonly options: ConsulOptions, deps: CatalogDeps) {
    this.#deps = deps;
  }

  /** Watches running now. */
  get size(): number {
    return this.#watches.size;
  }

  watches(): IterableIterator<Watch> {
    return this.#watches.values();
  }

  /** Starts the idle sweep; `store` is the block's cache store, when there is one. */
  start(store: CacheStore | undefined): void {
    this.#store = store;
    this.#stopped = false;
    const every = Math.min(5000, Math.max(50, Math.floor(this.options.idle / 4)));
    this.#sweeper = setInterval(() => this.sweep(this.#deps.clock.now()), every);
    this.#sweeper.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    for (const w of this.#watches.values()) w.stop();
    this.#watches.clear();
    this.#deps.counts.watches = 0;
  }

  /**
   * The datacenter a name means: its own, else the configured one, else the agent's (''). A name
   * that spells out the agent's own datacenter (learned from the views, e.g. an SRV target
   * `NODE.node.dc1.consul`) shares the watches of names without one.
   */
  dcKey(dc: string | undefined): string {
    const configured = this.options.datacenter;
    if (dc === undefined) return configured ?? '';
    if (configured === undefined && dc === this.#agentDc) return '';
    return dc;
  }

  /** The watch of a service, started on first use. */
  service(name: string, dc: string | undefined, now: Instant): Watch {
    const dcKey = this.dcKey(dc);
    const key = `s|${name}|${dcKey}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) { existing.lastAsked = now; return existing; }
    const params: string[] = [];
    if (this.options.onlyPassing) params.push('passing');
    if (dcKey !== '') params.push(`dc=${encodeURIComponent(dcKey)}`);
    const path = `/v1/health/service/${encodeURIComponent(name)}${params.length > 0 ? `?${params.join('&')}` : ''}`;
    const onlyPassing = this.options.onlyPassing;
    return this.#add(key, path, (body) => healthView(body, onlyPassing, dcKey || 'dc1'), now);
  }

  /**
   * A node: from any service view of the same datacenter that holds it (no request at all), else
   * from a watch of `/v1/catalog/node/NODE`. `watch` is where the answer came from.
   */
  node(name: string, dc: string | undefined, now: Instant): { watch: Watch; node: NodeInfo | undefined } {
    const dcKey = this.dcKey(dc);
    const lname = name.toLowerCase();
    for (const w of this.#watches.values()) {
      if (!w.key.startsWith('s|') || !w.key.endsWith(`|${dcKey}`)) continue;
      const node = w.view?.nodes.get(lname);
      if (node !== undefined) { w.lastAsked = now; return { watch: w, node }; }
    }
    const key = `n|${lname}|${dcKey}`;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      const path = `/v1/catalog/node/${encodeURIComponent(name)}${dcKey !== '' ? `?dc=${encodeURIComponent(dcKey)}` : ''}`;
      watch = this.#add(key, path, (body) => nodeView(body, dcKey || 'dc1'), now);
    } else {
      watch.lastAsked = now;
    }
    return { watch, node: watch.view?.nodes.get(lname) };
  }

  /** Remembers that `lname` was answered from `watch`, so a change drops it from the cache. */
  answered(watch: Watch, lname: string): void {
    if (watch.answered.has(lname)) return;
    if (watch.answered.size >= MAX_ANSWERED) { watch.overflow = true; return; }
    watch.answered.add(lname);
  }

  /**
   * Stops watches whose names nobody asked for in `idle`; their names leave the cache too. A watch
   * of a name with nothing behind it (an unknown service or node) goes after a minute already, so
   * lookups of made-up names do not hold blocking queries open for long.
   */
  sweep(now: Instant): number {
    let stopped = 0;
    for (const [key, w] of this.#watches) {
      const empty = w.view !== undefined && w.view.instances.length === 0 && w.view.nodes.size === 0;
      const idle = empty ? Math.min(this.options.idle, EMPTY_IDLE) : this.options.idle;
      if (now - w.lastAsked < idle) continue;
      w.stop();
      this.#watches.delete(key);
      this.#flush(w, undefined);
      this.#deps.counts.watchesIdled++;
      stopped++;
    }
    this.#deps.counts.watches = this.#watches.size;
    return stopped;
  }

  #add(key: string, path: string, parse: (body: unknown) => View, now: Instant): Watch {
    const o = this.options;
    const watch = new Watch(key, { path, parse, wait: o.wait, backoffMin: o.backoffMin, backoffMax: o.backoffMax, rateInterval: o.rateInterval }, {
      get: this.#deps.get, clock: this.#deps.clock, timers: this.#deps.timers ?? realTimers,
      random: this.#deps.random ?? Math.random, counts: this.#deps.counts, logger: this.#deps.logger,
    }, (w, before) => this.#onView(w, before));
    watch.lastAsked = now;
    this.#watches.set(key, watch);
    this.#deps.counts.watches = this.#watches.size;
    this.#deps.counts.watchesStarted++;
    if (!this.#stopped) watch.start();
    return watch;
  }

  /** Every good answer of a watch: when its answers changed (or a SERVFAIL went out), drop its names from the cache. */
  #onView(w: Watch, before: View | undefined): void {
    if (this.#agentDc === undefined && w.key.endsWith('|')) {
      const first = w.view!.nodes.values().next().value;
      if (first !== undefined) this.#agentDc = first.datacenter;
    }
    const changed = before !== undefined && before.fingerprint !== w.view!.fingerprint;
    if (changed) {
      this.#deps.counts.changes++;
      this.#deps.logger.debug({ watch: w.key, names: w.answered.size }, 'consul: answers changed');
    }
    if (changed || w.dirty) this.#flush(w, before);
  }

  #flush(w: Watch, before: View | undefined): void {
    const store = this.#store;
    if (store !== undefined) {
      let n = 0;
      for (const name of w.answered) n += store.flush(name);
      if (w.overflow) {
        const names = new Set<string>();
        for (const e of store.entries()) {
          const lname = canonical(e.name);
          if (this.#belongs(lname, e.type, w, before)) names.add(lname);
        }
        for (const name of names) n += store.flush(name);
      }
      this.#deps.counts.flushed += n;
    }
    w.answered.clear();
    w.overflow = false;
    w.dirty = false;
  }

  /** Whether a cached name was (or could have been) answered from watch `w`. */
  #belongs(lname: string, qtype: number, w: Watch, before: View | undefined): boolean {
    const zone = this.options.zones.filter((z) => z === '.' || lname === z || lname.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) return false;
    const name = parseName(lname, zone, qtype);
    if (name.kind === 'service') return w.key === `s|${name.service}|${this.dcKey(name.dc)}`;
    if (name.kind === 'node') {
      const n = name.node;
      return w.key === `n|${n}|${this.dcKey(name.dc)}` || w.view?.nodes.has(n) === true || before?.nodes.has(n) === true;
    }
    return false;
  }
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
