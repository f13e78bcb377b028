import type { CacheStore } from '@dnsmesh/cache';
import {
  CLASS_IN, DnsMessage, inZone, Rcode, RRType, type Clock, type Next, type Plugin, type QueryContext, type ServerBlock,
} from '@dnsmesh/core';
import { addrReply, apexReply, negativeReply, nodeReply, ptrReply, serviceReply, soaNsReply, virtualReply, type ReplyScope } from './answer.js';
import { ConsulCatalog } from './catalog.js';
import { ConsulHttp, type HttpGet } from './http.js';
import type { ConsulCounts } from './metrics.js';
import { isReverseZone, parseName, reverseAddress } from './names.js';
import { serviceTtlOf, sourceLabel, type ConsulOptions } from './options.js';
import { TokenSource } from './token.js';
import type { View } from './view.js';
import type { Watch, WatchTimers } from './watch.js';

/** The block's pino logger (its type, through core). */
type Logger = ServerBlock['logger'];

/** RFC 8914 EDE 18, Prohibited: the agent refused the plugin's token for this view. */
const EDE_PROHIBITED = 18;

export interface ConsulPluginDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counts: ConsulCounts;
  /** The block's cache store, looked up at start (the cache is created after consul). */
  readonly findStore?: () => CacheStore | undefined;
  /** Replaces the HTTP client (tests). */
  readonly get?: HttpGet;
  readonly timers?: WatchTimers;
}

/**
 * Catalog mode: answers Consul's names from local views, each fed by a blocking query on the
 * agent's HTTP API. The first lookup of a service starts its watch and waits (up to `firstWait`)
 * for the first result; every later lookup is answered from the view, synchronously, without
 * touching Consul. Names outside the zones, and Consul names it does not answer (prepared
 * queries, connect, ...), go to the next plugin.
 */
export class ConsulPlugin implements Plugin {
  readonly name = 'consul';
  readonly catalog: ConsulCatalog;
  readonly http: ConsulHttp | undefined;
  readonly label: string;
  readonly #zones: readonly string[];
  readonly #deps: ConsulPluginDeps;

  constructor(readonly options: ConsulOptions, deps: ConsulPluginDeps) {
    if (options.source.mode !== 'http') throw new TypeError('consul: ConsulPlugin needs an http source (catalog mode)');
    this.#deps = deps;
    this.label = sourceLabel(options.source);
    this.#zones = [...options.zones].sort((a, b) => b.length - a.length);
    this.http = deps.get === undefined
      ? new ConsulHttp(options.source.url, new TokenSource(options.token, options.tokenFile), options.maxConnections, options.tls)
      : undefined;
    deps.counts.maxConnections = options.maxConnections;
    if (this.http !== undefined) { const h = this.http; deps.counts.connectionsNow = () => h.sockets; }
    this.catalog = new ConsulCatalog(options, {
      get: deps.get ?? this.http!.get, clock: deps.clock, counts: deps.counts, logger: deps.logger, timers: deps.timers,
    });
  }

  get counts(): ConsulCounts {
    return this.#deps.counts;
  }

  start(): void {
    if (this.options.tls?.insecureSkipVerify === true) {
      this.#deps.logger.warn({ agent: this.label }, 'consul: insecure_skip_verify: the agent\'s certificate is not checked');
    }
    this.catalog.start(this.#deps.findStore?.());
  }

  /** Not ready until the agent has answered once (200): a resolver that cannot reach Consul is no use yet. */
  ready(): boolean {
    return this.catalog.everAnswered;
  }

  stop(): void {
    this.catalog.stop();
    this.http?.close();
  }

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const q = ctx.request.question;
    if (q === undefined || q.class !== CLASS_IN) return next(ctx);
    const zone = this.#zoneOf(q.lname);
    if (zone === undefined) return next(ctx);
    if (isReverseZone(zone)) return this.#reverse(ctx, q.lname, q.type);
    const name = parseName(q.lname, zone, q.type);
    if (name.kind === 'pass') return next(ctx);
    ctx.state.plugin = 'consul';
    ctx.state.upstream = this.label;
    const scope: ReplyScope = {
      request: ctx.request, zone, ttl: this.options.ttl, soaTtl: this.options.soaMinTtl, nodeMetaTxt: this.options.nodeMetaTxt,
      aRecordLimit: this.options.aRecordLimit, ...(this.options.translateWanAddrs ? { wanFor: this.#wanFor } : {}),
    };
    if (q.type === RRType.SOA || q.type === RRType.NS) {
      // Consul answers these two types for any name in its domain, from its servers.
      const watch = this.catalog.service('consul', undefined, ctx.now);
      const nsTtl = this.options.nodeTtl ?? this.options.ttl;
      return this.#fromWatch(ctx, scope, watch, (view) => soaNsReply(scope, q.type, view.instances, nsTtl));
    }
    switch (name.kind) {
      case 'invalid': return negativeReply(scope, Rcode.NXDOMAIN);
      case 'apex': return apexReply(scope, q.type);
      case 'addr': return addrReply(this.#nodeScope(scope), q.type, name.ip, name.family);
      case 'service': {
        const watch = this.catalog.service(name.service, name.dc, ctx.now, name.connect === true ? 'connect' : name.ingress === true ? 'ingress' : 'service', name.ns, name.ap);
        const tag = name.tag;
        const ttl = serviceTtlOf(this.options.serviceTtl, name.service, this.options.ttl);
        const own = ttl === scope.ttl ? scope : { ...scope, ttl, negativeTtl: scope.ttl };
        return this.#fromWatch(ctx, scope, watch, (view) =>
          serviceReply(own, q.type, tag === undefined ? view.instances : view.instances.filter((i) => i.tags.includes(tag)), view.nodes));
      }
      case 'query': {
        const watch = this.catalog.query(name.query, name.dc, ctx.now);
        // The query's own DNS TTL when it sets one, as Consul answers.
        // The query's own DNS TTL, else service_ttl of its service, else ttl (Consul's order).
        return this.#fromWatch(ctx, scope, watch, (view) => serviceReply(
          { ...scope, ttl: view.ttl ?? serviceTtlOf(this.options.serviceTtl, view.service ?? '', this.options.ttl), negativeTtl: scope.ttl },
          q.type, view.instances, view.nodes));
      }
      case 'virtual': {
        // The virtual IP is on the service's Connect endpoints (its proxies' `consul-virtual`).
        const watch = this.catalog.service(name.service, undefined, ctx.now, 'connect');
        return this.#fromWatch(ctx, scope, watch, (view) => virtualReply(this.#nodeScope(scope), q.type, view.virtualIp));
      }
      case 'node': {
        const { watch } = this.catalog.node(name.node, name.dc, ctx.now, name.ap);
        return this.#fromWatch(ctx, scope, watch, (view) => nodeReply(this.#nodeScope(scope), q.type, view.nodes.get(name.node)));
      }
    }
  }

  /**
   * A reverse name in an arpa zone of the plugin: PTR to `NODE.node.DC.ZONE` or
   * `NAME.service.ZONE` under the first Consul zone (Consul answers with its primary domain).
   * NXDOMAIN for an address no node (or watched service) has, NODATA for other types.
   */
  #reverse(ctx: QueryContext, lname: string, qtype: number): DnsMessage | Promise<DnsMessage> {
    ctx.state.plugin = 'consul';
    ctx.state.upstream = this.label;
    const domain = this.#zones.find((z) => !isReverseZone(z)) ?? 'consul.';
    const scope: ReplyScope = { request: ctx.request, zone: domain, ttl: this.options.ttl, soaTtl: this.options.soaMinTtl };
    const addr = reverseAddress(lname);
    if (addr === undefined) return negativeReply(scope, Rcode.NXDOMAIN);
    const { watch } = this.catalog.reverse(addr.ip, ctx.now);
    return this.#fromWatch(ctx, scope, watch, () => {
      const { target } = this.catalog.reverse(addr.ip, ctx.now);
      if (target === undefined) return negativeReply(scope, Rcode.NXDOMAIN);
      if (qtype !== RRType.PTR && qtype !== RRType.ANY) return negativeReply(scope, Rcode.NOERROR);
      const apex = domain === '.' ? '' : domain;
      const name = target.kind === 'node' ? `${target.node.name}.node.${target.node.datacenter}.${apex}` : `${target.service}.service.${apex}`;
      return ptrReply(scope, name);
    });
  }

  /**
   * translate_wan_addrs: data of another datacenter than the agent's is answered with its `wan`
   * addresses (Consul's TranslateAddress). While the agent's datacenter is unknown, nothing is translated.
   */
  readonly #wanFor = (datacenter: string): boolean => {
    const own = this.catalog.agentDc;
    return own !== undefined && datacenter.toLowerCase() !== own;
  };

  /** node_ttl for node and `.addr` answers (negative answers keep `ttl`). */
  #nodeScope(scope: ReplyScope): ReplyScope {
    return this.options.nodeTtl === undefined ? scope : { ...scope, ttl: this.options.nodeTtl, negativeTtl: scope.ttl };
  }

  /** The answer from a watch's view: now when there is one, after the first result when it is new, else SERVFAIL. */
  #fromWatch(ctx: QueryContext, scope: ReplyScope, watch: Watch, build: (view: View) => DnsMessage): DnsMessage | Promise<DnsMessage> {
    this.catalog.answered(watch, scope.request.question!.lname);
    if (watch.view !== undefined || watch.forbidden) return this.#answer(ctx, scope, watch, build);
    if (watch.settled) return this.#servfail(ctx, watch);
    return watch.firstResult(this.options.firstWait).then(() =>
      watch.view !== undefined || watch.forbidden ? this.#answer(ctx, scope, watch, build) : this.#servfail(ctx, watch));
  }

  #answer(ctx: QueryContext, scope: ReplyScope, watch: Watch, build: (view: View) => DnsMessage): DnsMessage {
    if (watch.forbidden) return this.#servfail(ctx, watch, EDE_PROHIBITED);
    const failingSince = this.catalog.failingSince(watch);
    if (failingSince !== undefined) {
      if (this.#deps.clock.now() - failingSince > this.options.maxStale) return this.#servfail(ctx, watch);
      this.counts.stale++;
    }
    const view = watch.view!;
    if (view.noDatacenter === true) return negativeReply(scope, Rcode.NXDOMAIN);
    return build(view);
  }

  #servfail(ctx: QueryContext, watch: Watch, ede = -1): DnsMessage {
    this.counts.servfails++;
    if (ede >= 0) ctx.setEde(ede, 'the Consul agent refused the token (HTTP 403)');
    watch.dirty = true;                                   // a cached SERVFAIL goes once a view is there
    ctx.log.debug({ watch: watch.key, error: watch.lastError }, 'consul: no usable view; SERVFAIL');
    return DnsMessage.reply(ctx.request, Rcode.SERVFAIL);
  }

  #zoneOf(lname: string): string | undefined {
    for (const z of this.#zones) if (inZone(lname, z)) return z;
    return undefined;
  }
}
