import 'reflect-metadata';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { container as rootContainer } from 'tsyringe';
import { ServerBlock } from './block.js';
import { Edge } from './edge/edge.js';
import { ZoneRouter } from './edge/route.js';
import { TcpListener } from './edge/tcp-listener.js';
import { DohListener } from './edge/doh-listener.js';
import type { TlsSettings } from './edge/tls-settings.js';
import { resolveTcpOptions, TcpCounts, type TcpOptions } from './edge/tcp-options.js';
import { publishTcpMetrics } from './edge/tcp-metrics.js';
import { UdpListener } from './edge/udp-listener.js';
import { BatchUdpListener, loadBatchTransport } from './edge/batch-listener.js';
import { useBatchUpstream } from './upstream/udp-socket.js';
import { publishEdgeMetrics, type PortCounts } from './edge/metrics.js';
import type { PluginInput } from './plugin.js';
import { systemClock, type Clock, type Timers } from './units.js';
import { canonicalName } from './wire/name.js';

/** A listening address of a running server. */
export interface ListenAddress { readonly host: string; readonly port: number; readonly transport: 'udp' | 'tcp' | 'tls' | 'https' }

/** Where blocks share listeners: one edge per scheme and port (`dns 53`, `tls 853`). */
function edgeKey(block: ServerBlock): string {
  return `${block.scheme} ${block.port}`;
}

/**
 * A DNS server: listeners for every (address, port) its blocks bind, the edge, and the blocks.
 * `start()` starts every plugin, then binds; `stop()` stops reading, drains what is in flight
 * (up to `drainTimeout`), closes the sockets and stops the plugins.
 */
/** Which UDP transport the listeners use: the batched addon where it loads ('auto'), or Node's dgram. */
export type UdpTransport = 'auto' | 'batch' | 'dgram';

export class DnsServer {
  /** One edge per scheme and port (see `edgeKey`). */
  readonly edges = new Map<string, Edge>();
  #blocks: readonly ServerBlock[];
  readonly #udp: (UdpListener | BatchUdpListener)[] = [];
  /** The UDP transport in use once started: 'batch' or 'dgram'. */
  udpTransport: 'batch' | 'dgram' = 'dgram';
  #batch: Awaited<ReturnType<typeof loadBatchTransport>>;
  /** TCP listeners, DoT ones (`tls://` blocks) among them. */
  readonly #tcp: TcpListener[] = [];
  readonly #https: DohListener[] = [];
  #started = false;
  #unpublish: (() => void) | undefined;
  /** Each port's TCP counters (summed over its addresses; kept across reloads). */
  readonly #tcpCounts = new Map<Edge, TcpCounts>();
  /** TCP limits from code (`createServer({ tcp })`); a block's `tcp` directive can lower them. */
  readonly tcpOptions: TcpOptions;

  constructor(blocks: readonly ServerBlock[], readonly clock: Clock, readonly logger: Logger, readonly metrics: Registry, tcpOptions: Partial<TcpOptions> = {}) {
    this.tcpOptions = resolveTcpOptions(tcpOptions);
    this.#blocks = blocks;
    for (const block of blocks) {
      let edge = this.edges.get(edgeKey(block));
      if (edge === undefined) {
        edge = new Edge(new ZoneRouter(), clock, logger);
        this.edges.set(edgeKey(block), edge);
      }
      edge.router.add(block);
    }
  }

  /** Chooses the UDP transport ('auto' by default; 'dgram' with -udp.batch=false or DNSMESH_UDP_BATCH=0). */
  udp: UdpTransport = process.env.DNSMESH_UDP_BATCH === '0' ? 'dgram' : 'auto';

  async start(): Promise<this> {
    if (this.#started) return this;
    this.#started = true;
    if (this.udp !== 'dgram') {
      this.#batch = await loadBatchTransport();
      if (this.#batch === undefined && this.udp === 'batch') throw new Error('the batched UDP transport (@dnsmesh/udp-batch) is not available here');
    }
    this.udpTransport = this.#batch !== undefined ? 'batch' : 'dgram';
    // Upstream IPv4 sockets go on the same transport: the addon's sockets cost less a datagram than dgram's.
    useBatchUpstream(this.#batch);
    this.logger.info({ transport: this.udpTransport }, this.udpTransport === 'batch' ? 'UDP: batched transport (recvmmsg/sendmmsg)' : "UDP: Node's dgram");
    for (const block of this.#blocks) await block.start();
    const offEdge = publishEdgeMetrics(this.metrics, () => this.portCounts());
    const offTcp = publishTcpMetrics(this.metrics, () => this.tcpCounts());
    this.#unpublish = () => { offEdge(); offTcp(); };
    try {
      for (const edge of this.edges.values()) {
        const port = edge.router.blocks[0]!.port;
        const hosts = hostsFor(edge.router.blocks);
        for (const host of hosts) await this.#listen(edge, host, port);
      }
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    return this;
  }

  /** The listeners a scheme needs on one address: UDP and TCP, DoT, or DoH. */
  async #listen(edge: Edge, host: string, port: number): Promise<void> {
    const blocks = edge.router.blocks;
    const scheme = blocks[0]!.scheme;
    if (scheme === 'dns') return this.#listenBoth(edge, host, port);
    const opts = this.#tcpOptionsFor(blocks);
    const settings = tlsFor(blocks);
    if (scheme === 'tls') {
      const l = new TcpListener(edge, host, port, opts, this.#countsFor(edge), settings);
      await l.listen();
      this.#tcp.push(l);
    } else {
      const l = new DohListener(edge, host, port, opts, this.#countsFor(edge), settings);
      await l.listen();
      this.#https.push(l);
    }
  }

  /** Every listener, of every kind. */
  get #listeners(): (UdpListener | BatchUdpListener | TcpListener | DohListener)[] {
    return [...this.#udp, ...this.#tcp, ...this.#https];
  }

  /**
   * UDP and TCP on one port. With port 0, TCP takes the number UDP got; when another process holds
   * that TCP port, both start again on a new number.
   */
  async #listenBoth(edge: Edge, host: string, port: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const udp = this.#batch !== undefined && host !== '::' ? new BatchUdpListener(edge, host, port, this.#batch) : new UdpListener(edge, host, port);
      await udp.listen();
      const tcp = new TcpListener(edge, host, udp.address.port, this.#tcpOptionsFor(edge.router.blocks), this.#countsFor(edge));
      try {
        await tcp.listen();
      } catch (err) {
        await udp.close();
        if (port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
        continue;
      }
      this.#udp.push(udp);
      this.#tcp.push(tcp);
      return;
    }
  }

  /** Closes a listener and forgets it. */
  async #drop(l: UdpListener | BatchUdpListener | TcpListener | DohListener): Promise<void> {
    for (const list of [this.#udp, this.#tcp, this.#https] as unknown[][]) {
      const i = list.indexOf(l);
      if (i >= 0) list.splice(i, 1);
    }
    await l.close();
  }

  get blocks(): readonly ServerBlock[] {
    return this.#blocks;
  }

  /**
   * Swaps in the blocks of a new configuration without dropping a query: the new blocks start,
   * each port's router is replaced in one step (listeners that did not change are kept; new ones
   * are bound, gone ones closed), then each old block stops once its own in-flight queries are done.
   * Throws, with the old configuration still serving, when a new block cannot start or bind.
   */
  async replaceBlocks(next: readonly ServerBlock[], drainTimeout = 5000): Promise<void> {
    const old = this.#blocks;
    for (const block of next) await block.start();
    const routers = new Map<string, ZoneRouter>();
    for (const block of next) {
      let router = routers.get(edgeKey(block));
      if (router === undefined) { router = new ZoneRouter(); routers.set(edgeKey(block), router); }
      router.add(block);
    }
    // Bind what is new before anything changes, so a failure leaves the old configuration whole.
    const before = new Set(this.#listeners);
    const newEdges: string[] = [];
    try {
      for (const [key, router] of routers) {
        const edge = this.edges.get(key) ?? new Edge(router, this.clock, this.logger);
        if (!this.edges.has(key)) { this.edges.set(key, edge); newEdges.push(key); }
        const bound = new Set(this.#listeners.filter((l) => l.edge === edge).map((l) => l.host));
        const port = router.blocks[0]!.port;
        for (const host of hostsFor(router.blocks)) {
          if (bound.has(host)) continue;
          // A new edge listens with its new router; a kept one gets it at the switch below.
          const saved = edge.router;
          edge.router = router;
          try { await this.#listen(edge, host, port); } finally { if (!newEdges.includes(key)) edge.router = saved; }
        }
      }
    } catch (err) {
      for (const l of this.#listeners.filter((l) => !before.has(l))) await this.#drop(l);
      for (const key of newEdges) this.edges.delete(key);
      for (const block of next) await block.stop();
      throw err;
    }
    // The switch: from here on, new queries go to the new blocks.
    for (const [key, router] of routers) this.edges.get(key)!.router = router;
    this.#blocks = next;
    // New limits, and the certificates the load read again.
    for (const l of [...this.#tcp, ...this.#https]) l.reconfigure(this.#tcpOptionsFor(l.edge.router.blocks), tlsFor(l.edge.router.blocks));
    // Listeners no block wants any more.
    for (const [key, edge] of [...this.edges]) {
      const wanted = routers.has(key) ? new Set(hostsFor(routers.get(key)!.blocks)) : new Set<string>();
      for (const l of this.#listeners.filter((l) => l.edge === edge && !wanted.has(l.host))) await this.#drop(l);
      if (!routers.has(key)) this.edges.delete(key);
    }
    for (const block of old) {
      await block.drain(drainTimeout);
      await block.stop();
    }
  }

  /** Every bound address, UDP then TCP. */
  get addresses(): ListenAddress[] {
    return [
      ...this.#udp.map((l) => ({ ...l.address, transport: 'udp' as const })),
      ...this.#tcp.map((l) => ({ ...l.address, transport: l.tls === undefined ? 'tcp' as const : 'tls' as const })),
      ...this.#https.map((l) => ({ ...l.address, transport: 'https' as const })),
    ];
  }

  /** "HOST:PORT" of the first listener, for tests and messages. */
  get address(): string {
    const a = this.#udp[0]?.address;
    if (a === undefined) throw new Error('server is not listening');
    return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  }

  get port(): number {
    return this.#udp[0]?.address.port ?? 0;
  }

  /** Each listening port's edge and UDP counters (summed over its addresses). */
  portCounts(): PortCounts[] {
    const out: PortCounts[] = [];
    for (const edge of this.edges.values()) {
      const udp = { sendFailures: 0, batches: 0, datagrams: 0 };
      let port = -1;
      for (const l of this.#udp) {
        if (l.edge !== edge) continue;
        port = l.address.port;
        const c = l.counts;
        udp.sendFailures += c.sendFailures;
        udp.batches += c.batches;
        udp.datagrams += c.datagrams;
      }
      if (port < 0) port = [...this.#tcp, ...this.#https].find((l) => l.edge === edge)?.address.port ?? -1; // DoT, DoH: no UDP
      if (port >= 0) out.push({ port, stats: edge.stats, udp });
    }
    return out;
  }

  /**
   * The TCP limits of a port: the code's, lowered by any block on it that sets `tcp` (several
   * blocks share a port's listeners, so the strictest wins rather than the one read last).
   */
  #tcpOptionsFor(blocks: readonly ServerBlock[]): TcpOptions {
    const out = { ...this.tcpOptions } as Record<keyof TcpOptions, number>;
    for (const b of blocks) {
      for (const [k, v] of Object.entries(b.tcp ?? {}) as [keyof TcpOptions, number | undefined][]) {
        if (v !== undefined) out[k] = Math.min(out[k], v);
      }
    }
    return out;
  }

  #countsFor(edge: Edge): TcpCounts {
    let counts = this.#tcpCounts.get(edge);
    if (counts === undefined) { counts = new TcpCounts(); this.#tcpCounts.set(edge, counts); }
    return counts;
  }

  /** Each listening port's TCP counters. */
  tcpCounts(): { port: number; tcp: TcpCounts }[] {
    const out: { port: number; tcp: TcpCounts }[] = [];
    for (const [edge, tcp] of this.#tcpCounts) {
      const port = [...this.#tcp, ...this.#https].find((l) => l.edge === edge)?.address.port;
      if (port !== undefined) out.push({ port, tcp });
    }
    return out;
  }

  /** The TCP listeners (for tests and tools: their open connections and limits). */
  get tcpListeners(): readonly TcpListener[] {
    return this.#tcp;
  }

  /** The DNS-over-HTTPS listeners. */
  get httpsListeners(): readonly DohListener[] {
    return this.#https;
  }

  async stop(drainTimeout = 5000): Promise<void> {
    // First the lameduck: every block reports shutting down while its sockets still answer.
    await Promise.all(this.#blocks.map((b) => b.shutdown()));
    await Promise.all([...this.edges.values()].map((e) => e.drain(drainTimeout)));
    // Replies of the last queries are handed to their sockets in the next turns; let them go out.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([...this.#udp.splice(0), ...this.#tcp.splice(0), ...this.#https.splice(0)].map((l) => l.close()));
    this.#unpublish?.();
    this.#unpublish = undefined;
    for (const block of this.#blocks) await block.stop();
  }

  /** True when every plugin that can say is ready. */
  notReady(): string[] {
    return this.blocks.flatMap((b) => b.notReady());
  }
}

/** The certificate of the blocks sharing a TLS port: the first block's that has one. */
function tlsFor(blocks: readonly ServerBlock[]): TlsSettings | undefined {
  return blocks.find((b) => b.tls !== undefined)?.tls;
}

/** Hosts to listen on for the blocks sharing a port (all interfaces when none binds). */
function hostsFor(blocks: readonly ServerBlock[]): string[] {
  const hosts = new Set<string>();
  for (const b of blocks) for (const h of b.bind) hosts.add(h);
  return hosts.size > 0 ? [...hosts] : ['0.0.0.0'];
}

export interface BlockSpec {
  /** Zones this block answers (default: the root, everything). */
  readonly zones?: readonly string[];
  readonly port?: number;
  /** Addresses to listen on (default 127.0.0.1 for code-built servers). */
  readonly bind?: readonly string[];
  /** 'tls' (DNS over TLS) or 'https' (DNS over HTTPS) with `tls`; default 'dns' (UDP and TCP). */
  readonly scheme?: 'dns' | 'tls' | 'https';
  /** The listener's certificate, for 'tls' and 'https' (PEM bytes; `ca` asks clients for theirs). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  readonly plugins: readonly PluginInput[];
}

export interface CreateServerOptions extends Partial<BlockSpec> {
  /** Several blocks; or give zones/port/bind/plugins for one. */
  readonly blocks?: readonly BlockSpec[];
  readonly clock?: Clock;
  /** How plugins wait (forward's retransmission timer and deadline); tests give `manualTimers()`. Default Node's. */
  readonly timers?: Timers;
  readonly logger?: Logger;
  readonly metrics?: Registry;
  readonly tcp?: Partial<TcpOptions>;
}

/**
 * Composes a resolver in code, without a Corefile:
 * `await createServer({ port: 0, plugins: [cache(), forward({ to: ['127.0.0.1:5300'] })] }).start()`.
 * Plugins are instances or factories `(block) => Plugin` (factories reach the block's services).
 */
export function createServer(opts: CreateServerOptions): DnsServer {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const metrics = opts.metrics ?? new Registry();
  const specs = opts.blocks ?? [{ zones: opts.zones, port: opts.port, bind: opts.bind, scheme: opts.scheme, tls: opts.tls, plugins: opts.plugins ?? [] }];
  const blocks = specs.map((spec) => {
    const block = new ServerBlock({
      zones: (spec.zones ?? ['.']).map(canonicalName), port: spec.port ?? 0, scheme: spec.scheme,
      container: rootContainer.createChildContainer(), clock, timers: opts.timers, logger, metrics,
    });
    if ((spec.scheme ?? 'dns') !== 'dns' && spec.tls === undefined) throw new TypeError(`createServer: a ${spec.scheme} block needs tls: { cert, key }`);
    if (spec.tls !== undefined) block.tls = { cert: spec.tls.cert, key: spec.tls.key, ca: spec.tls.ca, files: [] };
    block.bind = [...(spec.bind ?? ['127.0.0.1'])];
    // Factories run last to first, so a plugin can reach services of the plugins after it.
    const plugins = [];
    for (let i = spec.plugins.length - 1; i >= 0; i--) {
      const input = spec.plugins[i]!;
      const plugin = typeof input === 'function' ? input(block) : input;
      if (plugin !== undefined) plugins.unshift(plugin);
    }
    block.setPlugins(plugins);
    return block;
  });
  return new DnsServer(blocks, clock, logger, metrics, opts.tcp);
}
