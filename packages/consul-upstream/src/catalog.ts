import type { CacheStore } from '@dnsmesh/cache';
import type { Clock, Instant, ServerBlock } from '@dnsmesh/core';
import { feedChanges, feedView, servicesChanges, servicesView, type FeedView, type ServicesView } from './feed.js';
import { HttpTimeout, type HttpGet } from './http.js';
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
/** An index probe matches no instance (every node has a name), so its body is `[]`; only X-Consul-Index matters. */
const PROBE_FILTER = `filter=${encodeURIComponent('Node.Node == ""')}`;
/** Time given to one probe. */
const PROBE_TIMEOUT = 10_000;

/** A watch's scope: datacenter ('' for the agent's own), namespace and partition. */
export interface Scope { readonly dc: string; readonly ns: string; readonly ap: string }

/** The scope as the last part of a watch key: `dc/ns/ap`. */
export function scopeKey(s: Scope): string {
  return `${s.dc}/${s.ns}/${s.ap}`;
}

export function parseScope(key: string): Scope {
  const [dc = '', ns = 'default', ap = 'default'] = key.split('/');
  return { dc, ns, ap };
}

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
  /** One change feed per scope key, at most `#maxFeeds` together with the catalog feeds. */
  readonly #feeds = new Map<string, Watch<FeedView>>();
  /** One catalog feed (`/v1/catalog/services`) per scope key: changes that no check shows. */
  readonly #catalogFeeds = new Map<string, Watch<ServicesView>>();
  /** The catalog feeds' last X-Consul-Index, per scope key. */
  readonly #catalogIndex = new Map<string, number>();
  /** Scopes whose probe sweep runs now, and those that need one more after it. */
  readonly #sweeping = new Set<string>();
  readonly #sweepAgain = new Set<string>();
  readonly #probeAbort = new AbortController();
  readonly #maxFeeds: number;
  /** The plain reads of the views, `maxConnections - #maxFeeds` at once. */
  readonly pool: ReadPool;
  readonly #viewGet: HttpGet;
  /** The same pool, behind every view read: index probes and other background requests. */
  readonly #probeGet: HttpGet;
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
    this.#probeGet = this.pool.wrap(deps.get, true);
  }

  /** True once the agent answered any request with 200 (for /ready). */
  get everAnswered(): boolean {
    if (!this.#everAnswered) {
      for (const w of [...this.#feeds.values(), ...this.#watches.values()]) if (w.answered200) { this.#everAnswered = true; break; }
    }
    return this.#everAnswered;
  }

  /** Probe sweeps running now (tests wait for them to end before counting requests). */
  get sweepsRunning(): number {
    return this.#sweeping.size;
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
    const feed = this.#feeds.get(scopeOf(w.key));
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
    if (this.options.translateWanAddrs) void this.#learnAgentDc();
    // The feed of the default datacenter starts at once: it is the readiness probe, and the first
    // lookup of any service then already has its changes followed.
    this.#feed(this.scope(undefined));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    if (this.#resyncTimer !== undefined) clearInterval(this.#resyncTimer);
    for (const w of this.#watches.values()) w.stop();
    for (const f of this.#feeds.values()) f.stop();
    for (const f of this.#catalogFeeds.values()) f.stop();
    this.#probeAbort.abort();
    this.#watches.clear();
    this.#feeds.clear();
    this.#catalogFeeds.clear();
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

  /** The scope key a name means: its datacenter (as `dcKey`), its namespace and partition, else the configured ones. */
  scope(dc: string | undefined, ns?: string, ap?: string): string {
    return scopeKey({ dc: this.dcKey(dc), ns: ns ?? this.options.namespace, ap: ap ?? this.options.partition });
  }

  /** The agent's own datacenter once known (from `/v1/agent/self` or a view read without `dc`). */
  get agentDc(): string | undefined {
    return this.#agentDc;
  }

  /** Learns the agent's datacenter (translate_wan_addrs needs it to tell other datacenters). */
  set agentDc(dc: string | undefined) {
    if (dc !== undefined && dc !== '') this.#agentDc = dc.toLowerCase();
  }

  /** The watch of a service, started on first use. */
  service(name: string, dc: string | undefined, now: Instant, kind: 'service' | 'connect' | 'ingress' = 'service', ns?: string, ap?: string): Watch {
    const scope = this.scope(dc, ns, ap);
    const key = `${kind === 'connect' ? 'c' : kind === 'ingress' ? 'i' : 's'}|${name}|${scope}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) { existing.lastAsked = now; return existing; }
    const params: string[] = [];
    if (this.options.onlyPassing) params.push('passing');
    const path = this.#path(`/v1/health/${kind}/${encodeURIComponent(name)}`, scope, params);
    const onlyPassing = this.options.onlyPassing;
    const dc1 = parseScope(scope).dc || 'dc1';
    return this.#add(key, path, (body) => healthView(body, onlyPassing, dc1), now);
  }

  /**
   * A prepared query (`/v1/query/NAME/execute`): read once, then again every TTL (the query's DNS
   * TTL, else `ttl`, at least 1 s), since prepared queries have no blocking form, and at once when
   * the change feed shows its service changed. An unknown query (404) is an empty view: NXDOMAIN.
   */
  query(name: string, dc: string | undefined, now: Instant): Watch {
    const scope = this.scope(dc);
    const key = `q|${name}|${scope}`;
    const existing = this.#watches.get(key);
    if (existing !== undefined) { existing.lastAsked = now; return existing; }
    const path = this.#path(`/v1/query/${encodeURIComponent(name)}/execute`, scope);
    const fallback = this.options.ttl;
    const dc1 = parseScope(scope).dc || 'dc1';
    return this.#add(key, path, (body) => queryView(body, dc1), now, {
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
    const scope = this.scope(undefined);
    const key = `l|nodes|${scope}`;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      const dc1 = parseScope(scope).dc || 'dc1';
      watch = this.#add(key, this.#path('/v1/catalog/nodes', scope), (body) => nodeListView(body, dc1), now);
    } else {
      watch.lastAsked = now;
    }
    const same = (a: string): boolean => sameIp(a, ip);
    for (const n of watch.view?.nodes.values() ?? []) if (same(n.address)) return { watch, target: { kind: 'node', node: n } };
    if (watch.view !== undefined) {
      for (const w of this.#watches.values()) {
        if (!w.key.startsWith('s|') || !w.key.endsWith(`|${scope}`)) continue;
        if (w.view?.instances.some((i) => i.ownAddress && same(i.address)) === true) return { watch, target: { kind: 'service', service: w.key.slice(2, -(scope.length + 1)) } };
      }
    }
    return { watch, target: undefined };
  }

  /**
   * A node: from any service view of the same datacenter that holds it (no request at all), else
   * from a watch of `/v1/catalog/node/NODE`. `watch` is where the answer came from.
   */
  node(name: string, dc: string | undefined, now: Instant, ap?: string): { watch: Watch; node: NodeInfo | undefined } {
    // Nodes belong to a partition, not a namespace: any namespace of the partition may hold it.
    const { dc: dcKey, ap: partition } = parseScope(this.scope(dc, undefined, ap));
    const scope = scopeKey({ dc: dcKey, ns: 'default', ap: partition });
    const lname = name.toLowerCase();
    for (const w of this.#watches.values()) {
      if (!w.key.startsWith('s|')) continue;
      const ws = parseScope(scopeOf(w.key));
      if (ws.dc !== dcKey || ws.ap !== partition) continue;
      const node = w.view?.nodes.get(lname);
      if (node !== undefined) { w.lastAsked = now; return { watch: w, node }; }
    }
    const key = `n|${lname}|${scope}`;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      const path = this.#path(`/v1/catalog/node/${encodeURIComponent(name)}`, scope);
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
    if (this.options.translateWanAddrs && this.#agentDc === undefined) void this.#learnAgentDc();
  }

  /**
   * translate_wan_addrs needs the agent's datacenter: `/v1/agent/self` (Config.Datacenter; it
   * needs agent:read). Without it, the datacenter of views read without `dc` tells it.
   */
  async #learnAgentDc(): Promise<void> {
    try {
      const r = await this.#probeGet('/v1/agent/self', { timeout: PROBE_TIMEOUT, signal: this.#probeAbort.signal });
      this.#deps.counts.requests[r.status === 200 ? 'ok' : r.status === 403 ? 'forbidden' : r.status >= 500 ? 'http_5xx' : 'http_4xx']++;
      if (r.status !== 200) return;
      const body = JSON.parse(r.body) as { Config?: { Datacenter?: unknown } };
      if (typeof body.Config?.Datacenter === 'string') this.agentDc = body.Config.Datacenter;
    } catch (err) {
      if (!this.#probeAbort.signal.aborted) this.#deps.counts.requests[err instanceof HttpTimeout ? 'timeout' : err instanceof SyntaxError ? 'invalid' : 'error']++;
    }
  }

  /**
   * A path with Consul's consistency mode, the datacenter, and the namespace and partition when
   * they are not `default` (Consul CE refuses both parameters, even set to `default`).
   */
  #path(base: string, scope: string, params: string[] = []): string {
    const { dc, ns, ap } = parseScope(scope);
    const all = [...params];
    if (this.options.consistency === 'stale') all.push('stale');
    if (this.options.consistency === 'consistent') all.push('consistent');
    if (dc !== '') all.push(`dc=${encodeURIComponent(dc)}`);
    if (ns !== 'default') all.push(`ns=${encodeURIComponent(ns)}`);
    if (ap !== 'default') all.push(`partition=${encodeURIComponent(ap)}`);
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

  /**
   * The feeds of a scope, started when there is room (`max_connections - 2` feed connections in
   * all, first come first served): its change feed first, then its catalog feed. A scope left
   * without a change feed is followed by the resync only (and counted).
   */
  #feed(scope: string): void {
    const slots = (): number => this.#maxFeeds - this.#feeds.size - this.#catalogFeeds.size;
    if (!this.#feeds.has(scope)) {
      if (slots() <= 0) { this.#deps.counts.feedsRefused++; return; }
      const feed = new Watch<FeedView>(`feed|${scope}`, { ...this.#watchConfig(this.#path('/v1/health/state/any', scope), feedView, true), noDatacenter: feedView([]) },
        this.#watchDeps(this.#deps.get), (f, before) => this.#onFeed(scope, f, before));
      this.#feeds.set(scope, feed);
      if (!this.#stopped) feed.start();
    }
    if (this.options.catalogFeed && !this.#catalogFeeds.has(scope) && slots() > 0) {
      const feed = new Watch<ServicesView>(`catalog|${scope}`, { ...this.#watchConfig(this.#path('/v1/catalog/services', scope), servicesView, true), noDatacenter: servicesView({}) },
        this.#watchDeps(this.#deps.get), (f, before) => this.#onCatalogFeed(scope, f, before));
      this.#catalogFeeds.set(scope, feed);
      if (!this.#stopped) feed.start();
    }
  }

  /**
   * A catalog feed answer. `/v1/catalog/services` (name -> tags) moves its index on every write of
   * the services table: a registration, a deregistration, and a change of address, port, tags,
   * meta or weights, with or without checks (an idempotent re-registration does not move it). The
   * body names the services whose tags changed, or that appeared or went: those are read again at
   * once. A change it cannot name (an address, a port) is found by an index probe of each watched
   * service of the scope (`#sweep`), and only those whose own index moved are read again.
   */
  #onCatalogFeed(scope: string, feed: Watch<ServicesView>, before: ServicesView | undefined): void {
    const index = feed.index;
    const last = this.#catalogIndex.get(scope);
    this.#catalogIndex.set(scope, index);
    if (before === undefined || last === undefined) return;     // the first answer: the views are fresh
    if (index === last && before.fingerprint === feed.view!.fingerprint) return;   // a timeout: nothing moved
    const named = servicesChanges(before, feed.view!);
    const woken = new Set<Watch>();
    for (const w of this.#watches.values()) {
      if (scopeOf(w.key) !== scope || w.view === undefined) continue;
      const name = nameOf(w.key);
      const hit = w.key.startsWith('q|') ? w.view.service !== undefined && named.has(w.view.service)
        : (w.key.startsWith('s|') || w.key.startsWith('c|') || w.key.startsWith('i|')) && (named.has(name) || [...(w.view.serviceNames ?? [])].some((n) => named.has(n)));
      if (hit) { this.#deps.counts.feedRefetches++; w.wake(); woken.add(w); }
    }
    this.#sweep(scope, woken);
  }

  /**
   * Index probes of the scope's watched service views not already woken: `GET` of the same path with
   * a filter that matches nothing (a body of `[]`), whose X-Consul-Index is the service's own index;
   * a view whose index moved is read again. One sweep per scope at a time, through the read pool
 * behind every view read (a probe never delays a read of a view that changed);
   * a catalog change during a sweep asks for one more after it.
   */
  #sweep(scope: string, skip: ReadonlySet<Watch>): void {
    if (this.#sweeping.has(scope)) { this.#sweepAgain.add(scope); return; }
    this.#sweeping.add(scope);
    const targets = [...this.#watches.values()].filter((w) => scopeOf(w.key) === scope && !skip.has(w) && w.view !== undefined && w.index > 0
      && (w.key.startsWith('s|') || w.key.startsWith('c|') || w.key.startsWith('i|')));
    const signal = this.#probeAbort.signal;
    const probe = async (w: Watch): Promise<void> => {
      const path = `${w.config.path}${w.config.path.includes('?') ? '&' : '?'}${PROBE_FILTER}`;
      this.#deps.counts.probes++;
      try {
        const r = await this.#probeGet(path, { timeout: PROBE_TIMEOUT, signal });
        this.#deps.counts.requests[r.status === 200 ? 'ok' : r.status >= 500 ? 'http_5xx' : 'http_4xx']++;
        // Another index than the view's (higher, or lower after a restore): read the view again.
        if (r.status === 200 && Number.isFinite(r.index) && r.index !== w.index && !w.stopped) { this.#deps.counts.feedRefetches++; w.wake(); }
        if (r.status !== 200 && !w.stopped) w.wake();        // unsure: let the view's own read decide
      } catch (err) {
        if (signal.aborted) return;
        this.#deps.counts.requests[err instanceof HttpTimeout ? 'timeout' : 'error']++;
      }
    };
    void Promise.all(targets.map(probe)).finally(() => {
      this.#sweeping.delete(scope);
      if (this.#sweepAgain.delete(scope) && !this.#stopped) this.#sweep(scope, new Set());
    });
  }

  /** A feed answer: wake the watches of what changed (all of them on the feed's first answer). */
  #onFeed(scope: string, feed: Watch<FeedView>, before: FeedView | undefined): void {
    const suffix = `|${scope}`;
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
    this.#feed(scopeOf(key));
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
    if (this.#agentDc === undefined && parseScope(scopeOf(w.key)).dc === '') {
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
    if (name.kind === 'service') return w.key === `s|${name.service}|${this.scope(name.dc, name.ns, name.ap)}`;
    if (name.kind === 'node') {
      const n = name.node;
      return w.key === `n|${n}|${this.scope(name.dc, 'default', name.ap)}` || w.view?.nodes.has(n) === true || before?.nodes.has(n) === true;
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

/** The scope key of a watch key (`s|web|dc2/default/default` -> `dc2/default/default`). */
function scopeOf(key: string): string {
  return key.slice(key.lastIndexOf('|') + 1);
}

/** The name of a watch key (`s|web|dc2/default/default` -> `web`). */
function nameOf(key: string): string {
  return key.slice(2, key.lastIndexOf('|')).toLowerCase();
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
