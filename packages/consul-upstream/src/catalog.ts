import type { CacheStore } from '@dnsmesh/cache';
import type { Clock, Instant, ServerBlock } from '@dnsmesh/core';
import { feedChanges, feedView, type FeedView } from './feed.js';
import type { HttpGet } from './http.js';
import type { ConsulCounts } from './metrics.js';
import { ipv6Bytes, parseName } from './names.js';
import type { ConsulOptions } from './options.js';
import { ReadPool } from './pool.js';
import { EMPTY_VIEW, healthView, nodeListView, nodeView, queryView, type NodeInfo, type View } from './view.js';
import { realTimers, Watch, type Fingerprinted, type WatchConfig, type WatchTimers } from './watch.js';

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
 * asked for that no service view knows. The number of connections to the agent stays bounded
 * whatever their number (`maxConnections`): a *change feed* per datacenter, one blocking query on
 * `/v1/health/state/any`, holds one connection and says which services and nodes changed; the
 * watches of those read their view again with a plain (non-blocking) request through a pool of
 * the remaining connections. Every `resync`, all views are read again, for changes no check shows
 * (a new port, node meta). It drops the names a watch answered from the cache store of the same
 * server block when the watch's answers change, and stops watches nobody asked for in `idle`.
 */
export class ConsulCatalog {
  readonly #watches = new Map<string, Watch>();
  /** One change feed per datacenter key ('' for the agent's own), at most `#maxFeeds`. */
  readonly #feeds = new Map<string, Watch<FeedView>>();
  readonly #maxFeeds: number;
  /** The plain reads of the views, `maxConnections - #maxFeeds` at once. */
  readonly pool: ReadPool;
  readonly #viewGet: HttpGet;
  #resyncTimer: NodeJS.Timeout | undefined;
  #everAnswered = false;
  readonly #deps: CatalogDeps;
  #store: CacheStore | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The agent's own datacenter, as the views of watches without `dc` report it. */
  #agentDc: string | undefined;

  constructor(readonly options: ConsulOptions, deps: CatalogDeps) {
    this.#deps = deps;
    // Two connections or more: one feed and one read. From four on, a second datacenter gets a feed too.
    this.#maxFeeds = Math.max(1, options.maxConnections - 2);
    this.pool = new ReadPool(Math.max(1, options.maxConnections - this.#maxFeeds));
    this.#viewGet = this.pool.wrap(deps.get);
  }

  /** True once the agent answered any request with 200 (for /ready). */
  get everAnswered(): boolean {
    if (!this.#everAnswered) {
      for (const w of [...this.#feeds.values(), ...this.#watches.values()]) if (w.answered200) { this.#everAnswered = true; break; }
    }
    return this.#everAnswered;
  }

  /** The change feeds running now. */
  feeds(): IterableIterator<Watch<FeedView>> {
    return this.#feeds.values();
  }

  /**
   * Since when a view's data may be old: its own last read failed, or its datacenter's change feed
   * fails (then nothing tells the view about changes, so it counts as unreachable too).
   */
  failingSince(w: Watch): Instant | undefined {
    const feed = this.#feeds.get(dcOf(w.key));
    const a = w.failingSince;
    const b = feed?.failingSince;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
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
    if (this.options.resync > 0) {
      this.#resyncTimer = setInterval(() => this.resync(), this.options.resync);
      this.#resyncTimer.unref();
    }
    // The feed of the default datacenter starts at once: it is the readiness probe, and the first
    // lookup of any service then already has its changes followed.
    this.#feed(this.dcKey(undefined));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    if (this.#resyncTimer !== undefined) clearInterval(this.#resyncTimer);
    for (const w of this.#watches.values()) w.stop();
    for (const f of this.#feeds.values()) f.stop();
    this.#watches.clear();
    this.#feeds.clear();
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
  service(name: string, dc: string | undefined, now: Instant, kind: 'service' | 'connect' | 'ingress' = 'service'): Watch {
    const dcKey = this.dcKey(dc);
    const key = `${kind === 'connect' ? 'c' : kind === 'ingress' ? 'i' : 's'}|${name}|${dcKey}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) { existing.lastAsked = now; return existing; }
    const params: string[] = [];
    if (this.options.onlyPassing) params.push('passing');
    const path = this.#path(`/v1/health/${kind}/${encodeURIComponent(name)}`, dcKey, params);
    const onlyPassing = this.options.onlyPassing;
    return this.#add(key, path, (body) => healthView(body, onlyPassing, dcKey || 'dc1'), now);
  }

  /**
   * A prepared query (`/v1/query/NAME/execute`): read once, then again every TTL (the query's DNS
   * TTL, else `ttl`, at least 1 s), since prepared queries have no blocking form, and at once when
   * the change feed shows its service changed. An unknown query (404) is an empty view: NXDOMAIN.
   */
  query(name: string, dc: string | undefined, now: Instant): Watch {
    const dcKey = this.dcKey(dc);
    const key = `q|${name}|${dcKey}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) { existing.lastAsked = now; return existing; }
    const path = this.#path(`/v1/query/${encodeURIComponent(name)}/execute`, dcKey);
    const fallback = this.options.ttl;
    return this.#add(key, path, (body) => queryView(body, dcKey || 'dc1'), now, {
      notFound: EMPTY_VIEW,
      refresh: (v) => Math.max(1000, (v.ttl ?? fallback) * 1000),
    });
  }

  /**
   * A reverse lookup (PTR): a node with the address, from the node list (`/v1/catalog/nodes`, read
   * again when the change feed shows any node change, and at each resync); else a watched
   * service's instance registered with the address. `target` is undefined when none has it.
   */
  reverse(ip: string, now: Instant): { watch: Watch; target: { kind: 'node'; node: NodeInfo } | { kind: 'service'; service: string } | undefined } {
    const dcKey = this.dcKey(undefined);
    const key = `l|nodes|${dcKey}`;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      watch = this.#add(key, this.#path('/v1/catalog/nodes', dcKey), (body) => nodeListView(body, dcKey || 'dc1'), now);
    } else {
      watch.lastAsked = now;
    }
    const same = (a: string): boolean => sameIp(a, ip);
    for (const n of watch.view?.nodes.values() ?? []) if (same(n.address)) return { watch, target: { kind: 'node', node: n } };
    if (watch.view !== undefined) {
      for (const w of this.#watches.values()) {
        if (!w.key.startsWith('s|') || !w.key.endsWith(`|${dcKey}`)) continue;
        if (w.view?.instances.some((i) => i.ownAddress && same(i.address)) === true) return { watch, target: { kind: 'service', service: w.key.slice(2, -(dcKey.length + 1)) } };
      }
    }
    return { watch, target: undefined };
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
      const path = this.#path(`/v1/catalog/node/${encodeURIComponent(name)}`, dcKey);
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

  /** Reads every view again (through the pool): for changes that no check shows. */
  resync(): void {
    for (const w of this.#watches.values()) w.wake();
  }

  /** A path with Consul's consistency mode and the datacenter. */
  #path(base: string, dcKey: string, params: string[] = []): string {
    const all = [...params];
    if (this.options.consistency === 'stale') all.push('stale');
    if (this.options.consistency === 'consistent') all.push('consistent');
    if (dcKey !== '') all.push(`dc=${encodeURIComponent(dcKey)}`);
    return all.length > 0 ? `${base}?${all.join('&')}` : base;
  }

  #watchConfig<V extends Fingerprinted>(path: string, parse: (body: unknown) => V, blocking: boolean): WatchConfig<V> {
    const o = this.options;
    return { path, parse, blocking, wait: o.wait, backoffMin: o.backoffMin, backoffMax: o.backoffMax, rateInterval: o.rateInterval };
  }

  #watchDeps(get: HttpGet): Watch['deps'] {
    return {
      get, clock: this.#deps.clock, timers: this.#deps.timers ?? realTimers,
      random: this.#deps.random ?? Math.random, counts: this.#deps.counts, logger: this.#deps.logger,
    };
  }

  /** The change feed of a datacenter, started when there is room for one. */
  #feed(dcKey: string): void {
    if (this.#feeds.has(dcKey) || this.#feeds.size >= this.#maxFeeds) return;
    const feed = new Watch<FeedView>(`feed|${dcKey}`, this.#watchConfig(this.#path('/v1/health/state/any', dcKey), feedView, true),
      this.#watchDeps(this.#deps.get), (f, before) => this.#onFeed(dcKey, f, before));
    this.#feeds.set(dcKey, feed);
    if (!this.#stopped) feed.start();
  }

  /** A feed answer: wake the watches of what changed (all of them on the feed's first answer). */
  #onFeed(dcKey: string, feed: Watch<FeedView>, before: FeedView | undefined): void {
    const suffix = `|${dcKey}`;
    if (before === undefined) {
      for (const w of this.#watches.values()) if (w.key.endsWith(suffix) && w.view !== undefined) w.wake();
      return;
    }
    if (before.fingerprint === feed.view!.fingerprint) return;
    const { services, nodes } = feedChanges(before, feed.view!);
    for (const w of this.#watches.values()) {
      if (!w.key.endsWith(suffix)) continue;
      const name = w.key.slice(2, -suffix.length).toLowerCase();
      // A Connect view: its service, the proxies it holds, or a new sidecar by Consul's default name.
      const connectHit = (): boolean => services.has(name) || services.has(`${name}-sidecar-proxy`)
        || [...(w.view?.serviceNames ?? [])].some((n) => services.has(n));
      // An ingress view: its service or the gateways it holds (a new gateway shows at the resync).
      const ingressHit = (): boolean => services.has(name) || [...(w.view?.serviceNames ?? [])].some((n) => services.has(n));
      const hit = w.key.startsWith('s|') ? services.has(name)
        : w.key.startsWith('c|') ? connectHit()
        : w.key.startsWith('i|') ? ingressHit()
        : w.key.startsWith('q|') ? w.view?.service !== undefined && services.has(w.view.service)
          : w.key.startsWith('l|') ? nodes.size > 0
            : nodes.has(name);
      if (hit) { this.#deps.counts.feedRefetches++; w.wake(); }
    }
  }

  #add(key: string, path: string, parse: (body: unknown) => View, now: Instant, extra: Partial<WatchConfig> = {}): Watch {
    this.#feed(dcOf(key));
    const watch = new Watch(key, { ...this.#watchConfig(path, parse, false), ...extra }, this.#watchDeps(this.#viewGet), (w, before) => this.#onView(w, before));
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

/** Whether two address texts are the same IP (IPv6 spelled either way). */
function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.includes(':') || !b.includes(':')) return false;
  return ipv6Bytes(a).equals(ipv6Bytes(b));
}

/** The datacenter key of a watch key (`s|web|dc2` -> `dc2`). */
function dcOf(key: string): string {
  return key.slice(key.lastIndexOf('|') + 1);
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
