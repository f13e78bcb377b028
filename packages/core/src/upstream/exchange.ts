import type { DnsMessage } from '../message.js';
import { formatAddress, type UpstreamAddress } from './address.js';
import { UpstreamError } from './errors.js';
import type { ExchangeOptions } from './options.js';
import { UpstreamStats } from './stats.js';
import { TCP_POOL_DEFAULTS, TcpPool } from './tcp.js';
import { udpExchange } from './udp.js';
import { UDP_POOL_DEFAULT, UdpSocketPool } from './udp-pool.js';

export interface UpstreamClientOptions {
  /** Close a TCP connection after this long idle (ms). Default 10 s, as CoreDNS's `expire`. */
  readonly expire?: number;
  /** Queries in flight on one TCP connection before another is opened. Default 1024. */
  readonly maxPipeline?: number;
  /**
   * UDP sockets open at once (each carries one query in flight at a time, and is kept for a few
   * dozen queries); queries beyond wait for one. Default 1024.
   */
  readonly maxUdpSockets?: number;
  /** TCP (and TLS) connections open at once per upstream; beyond, queries pipeline deeper. Default 8. */
  readonly maxConnections?: number;
  /** Counters to add to (shared between clients, or read by metrics). Default: a fresh UpstreamStats. */
  readonly stats?: UpstreamStats;
}

/**
 * Sends queries to upstreams and holds the TCP connection pools (one per upstream address).
 * Input: the client's query bytes (never changed: the client keeps its own copy); output: the
 * upstream's reply with the client's ID. Nothing is decoded or re-encoded on the way.
 *
 * ```ts
 * const client = new UpstreamClient({ expire: 10_000 });
 * const reply = await client.exchange(ctx.request.bytes, { host: '127.0.0.1', port: 53 }, { transport: 'tcp', timeout: 2000, signal: ctx.signal });
 * client.close();
 * ```
 */
export class UpstreamClient {
  readonly stats: UpstreamStats;
  /** The outgoing UDP sockets, bounded (`maxUdpSockets`). */
  readonly udpPool: UdpSocketPool;
  readonly #pools = new Map<string, TcpPool>();
  readonly #expire: number;
  readonly #maxPipeline: number;
  readonly #maxConnections: number;
  #closed = false;

  constructor(opts: UpstreamClientOptions = {}) {
    this.stats = opts.stats ?? new UpstreamStats();
    const maxUdp = opts.maxUdpSockets ?? UDP_POOL_DEFAULT;
    if (!Number.isInteger(maxUdp) || maxUdp < 1 || maxUdp > 65_535) throw new TypeError(`UpstreamClient: maxUdpSockets must be an integer from 1 to 65535, got ${maxUdp}`);
    this.udpPool = new UdpSocketPool(maxUdp, { strays: this.stats });
    this.#expire = opts.expire ?? TCP_POOL_DEFAULTS.expire;
    this.#maxPipeline = opts.maxPipeline ?? TCP_POOL_DEFAULTS.maxPipeline;
    this.#maxConnections = opts.maxConnections ?? TCP_POOL_DEFAULTS.maxConnections!;
    if (!Number.isInteger(this.#maxConnections) || this.#maxConnections < 1 || this.#maxConnections > 1024) {
      throw new TypeError(`UpstreamClient: maxConnections must be an integer from 1 to 1024, got ${this.#maxConnections}`);
    }
    if (!(this.#expire >= 0)) throw new TypeError(`UpstreamClient: expire must be >= 0 ms, got ${this.#expire}`);
    if (!Number.isInteger(this.#maxPipeline) || this.#maxPipeline < 1 || this.#maxPipeline > 32768) {
      throw new TypeError(`UpstreamClient: maxPipeline must be an integer from 1 to 32768, got ${this.#maxPipeline}`);
    }
  }

  exchange(query: Buffer, upstream: UpstreamAddress, opts: ExchangeOptions): Promise<DnsMessage> {
    if (this.#closed) return Promise.reject(new UpstreamError('client is closed', formatAddress(upstream)));
    if (opts.transport === 'tcp' || opts.transport === 'tls' || upstream.tls !== undefined) return this.pool(upstream).exchange(query, opts);
    return udpExchange(query, upstream, opts, this.stats, this.udpPool);
  }

  /** The TCP pool of an upstream, created on first use. */
  pool(upstream: UpstreamAddress): TcpPool {
    const key = upstream.tls === undefined ? formatAddress(upstream) : `tls://${formatAddress(upstream)}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new TcpPool(upstream, { expire: this.#expire, maxPipeline: this.#maxPipeline, maxConnections: this.#maxConnections, tls: upstream.tls }, this.stats);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Closes every TCP connection (in-flight TCP queries fail) and the idle UDP sockets (a UDP query
   * in flight keeps its socket until it ends); later exchanges are refused.
   */
  close(): void {
    this.#closed = true;
    this.udpPool.close();
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
  }
}

/**
 * One exchange without a pool: UDP, or TCP on a connection of its own that closes once the reply
 * is in. Rejects with UpstreamTimeout, UpstreamAborted or UpstreamError.
 */
export function exchange(query: Buffer, upstream: UpstreamAddress, opts: ExchangeOptions & { readonly stats?: UpstreamStats }): Promise<DnsMessage> {
  const stats = opts.stats ?? new UpstreamStats();
  if (opts.transport === 'tcp' || upstream.tls !== undefined) return new TcpPool(upstream, { expire: 0, maxPipeline: 1, tls: upstream.tls }, stats).exchange(query, opts);
  return udpExchange(query, upstream, opts, stats);
}
