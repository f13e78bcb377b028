import type dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { buildReply, formErr } from './fake-reply.js';
import { isOpt, type DecodedPacket } from './message.js';
import { normalizeName, parseKey, Zone, type RecordTable, type SoaSpec, type TableEntry } from './record-table.js';
import { bindSamePort, closeTcp, closeUdp, HOST, type LoopbackHost } from './same-port.js';
import { formatAddress, type Transport } from './server-address.js';
import { FrameReader, frame } from './tcp-frames.js';

/** One query the fake upstream received. */
export interface ReceivedQuery {
  /** The question name as received (case kept, no trailing dot). */
  name: string;
  type: string;
  transport: Transport;
  id: number;
  /** Date.now() on arrival. */
  time: number;
  rd: boolean;
  cd: boolean;
  /** The DO bit of the query's OPT record. */
  do: boolean;
  /** The UDP size the query's OPT record advertised; undefined without OPT. */
  edns: number | undefined;
  /** The query exactly as it arrived (a copy): for asserting what a resolver sends upstream. */
  raw: Buffer;
}

export interface QueryInfo {
  transport: Transport;
  /** The query's bytes. */
  raw: Buffer;
  remote: { address: string; port: number };
  /** The reply the record table gives (no knobs applied), to send as is or altered. */
  reply(): Buffer;
}

/**
 * Called for each decodable query before the knobs. Return bytes to send them as the reply (after any
 * delay, never truncated), 'drop' to send nothing, or undefined to answer as usual.
 */
export type QueryHook = (query: DecodedPacket, info: QueryInfo) =>
  Buffer | 'drop' | undefined | Promise<Buffer | 'drop' | undefined>;

export interface FakeUpstreamOptions {
  /** A fixed port (demos); tests leave it 0, the default. */
  port?: number;
  /** The loopback address it listens on: 127.0.0.1 (the default) or ::1. */
  host?: LoopbackHost;
  /** The zone's SOA, sent in authority with NXDOMAIN and NODATA; none when absent. */
  soa?: SoaSpec;
  /** Milliseconds before each reply. */
  delay?: number;
  /** Milliseconds before replies for a name ('web.service.consul') or a name and type ('web.service.consul A'). */
  delays?: Readonly<Record<string, number>>;
  blackhole?: boolean;
  servfail?: boolean;
  refused?: boolean;
  truncateUdpAt?: number;
  /** The RA flag in replies; default false, as an authoritative server (or Consul) sends. */
  ra?: boolean;
  onQuery?: QueryHook;
}

export interface FakeUpstream {
  readonly host: string;
  readonly port: number;
  /** '127.0.0.1:PORT', or '[::1]:PORT' */
  readonly address: string;
  /** Every decodable query received since start or reset(), in arrival order. */
  readonly queries: readonly ReceivedQuery[];
  /** TCP connections accepted since start or reset(). */
  readonly tcpConnections: number;
  onQuery: QueryHook | undefined;
  /** Queries received, optionally only for a name (case-insensitive), a type and a transport. */
  count(name?: string, type?: string, transport?: Transport): number;
  /** Clears `queries` (in place) and `tcpConnections`; the knobs and records stay. */
  reset(): void;
  /** Delay every reply, or (with `name`) those for 'NAME' or 'NAME TYPE'; undefined removes a name's delay. */
  delay(ms: number | undefined, name?: string): void;
  /** Receive queries but never answer (they are still counted). */
  blackhole(on?: boolean): void;
  servfail(on?: boolean): void;
  /** Answer REFUSED (wins over servfail). */
  refused(on?: boolean): void;
  /** UDP replies longer than `bytes` go out as header + question (+ OPT) with TC=1; TCP is never cut. */
  truncateUdpAt(bytes: number | undefined): void;
  ra(on?: boolean): void;
  setRecord(key: string, entry: TableEntry): void;
  removeRecord(key: string): void;
  /** Closes both sockets and every open TCP connection; idempotent. */
  close(): Promise<void>;
  /** Serves DNS (RFC 7766 framing) on a stream it did not accept itself: a TLS server's sockets (`tlsUpstream`). */
  accept(socket: net.Socket): void;
}

/**
 * A scriptable fake authoritative DNS server on 127.0.0.1 (or ::1), UDP and TCP on one port.
 *
 * @example
 * const upstream = await fakeUpstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] } });
 * onTestFinished(() => upstream.close());
 */
export async function fakeUpstream(zone: RecordTable = {}, opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const server = new FakeUpstreamServer(new Zone(zone, opts.soa), opts);
  const { udp, tcp, port } = await bindSamePort(net.createServer((socket) => server.accept(socket)), opts.port ?? 0, server.host);
  server.listen(udp, tcp, port);
  return server;
}

class FakeUpstreamServer implements FakeUpstream {
  readonly host: LoopbackHost;
  port = 0;
  readonly queries: ReceivedQuery[] = [];
  tcpConnections = 0;
  onQuery: QueryHook | undefined;

  readonly #zone: Zone;
  #delay: number;
  readonly #delays = new Map<string, number>();
  #blackhole: boolean;
  #servfail: boolean;
  #refused: boolean;
  #truncateAt: number | undefined;
  #ra: boolean;
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closing: Promise<void> | undefined;

  constructor(zone: Zone, opts: FakeUpstreamOptions) {
    this.host = opts.host ?? HOST;
    this.#zone = zone;
    this.#delay = opts.delay ?? 0;
    for (const [name, ms] of Object.entries(opts.delays ?? {})) this.delay(ms, name);
    this.#blackhole = opts.blackhole ?? false;
    this.#servfail = opts.servfail ?? false;
    this.#refused = opts.refused ?? false;
    this.#truncateAt = opts.truncateUdpAt;
    this.#ra = opts.ra ?? false;
    this.onQuery = opts.onQuery;
  }

  get address(): string {
    return formatAddress(this);
  }

  listen(udp: dgram.Socket, tcp: net.Server, port: number): void {
    this.#udp = udp;
    this.#tcp = tcp;
    this.port = port;
    udp.on('error', () => {}); // a failed send to a test client that went away
    udp.on('message', (msg, rinfo) => {
      void this.#handle(msg, 'udp', rinfo, (reply) => udp.send(reply, rinfo.port, rinfo.address));
    });
  }

  accept(socket: net.Socket): void {
    if (this.#closing !== undefined) { socket.destroy(); return; }
    this.tcpConnections++;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader();
    const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    socket.on('data', (chunk) => {
      for (const msg of reader.push(chunk)) {
        void this.#handle(msg, 'tcp', remote, (reply) => { if (!socket.destroyed) socket.write(frame(reply)); });
      }
    });
    socket.on('error', () => {}); // a client that resets is not the fake's failure
    socket.on('close', () => this.#sockets.delete(socket));
  }

  count(name?: string, type?: string, transport?: Transport): number {
    const wanted = name === undefined ? undefined : normalizeName(name);
    return this.queries.filter((q) => (wanted === undefined || normalizeName(q.name) === wanted)
      && (type === undefined || q.type === type.toUpperCase())
      && (transport === undefined || q.transport === transport)).length;
  }

  reset(): void {
    this.queries.length = 0;
    this.tcpConnections = 0;
  }

  delay(ms: number | undefined, name?: string): void {
    if (name === undefined) { this.#delay = ms ?? 0; return; }
    const key = delayKey(name);
    if (ms === undefined) this.#delays.delete(key);
    else this.#delays.set(key, ms);
  }

  blackhole(on = true): void { this.#blackhole = on; }
  servfail(on = true): void { this.#servfail = on; }
  refused(on = true): void { this.#refused = on; }
  truncateUdpAt(bytes: number | undefined): void { this.#truncateAt = bytes; }
  ra(on = true): void { this.#ra = on; }
  setRecord(key: string, entry: TableEntry): void { this.#zone.set(key, entry); }
  removeRecord(key: string): void { this.#zone.remove(key); }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      for (const socket of this.#sockets) socket.destroy();
      await Promise.all([
        this.#udp === undefined ? undefined : closeUdp(this.#udp),
        this.#tcp === undefined ? undefined : closeTcp(this.#tcp),
      ]);
    })();
    return this.#closing;
  }

  async #handle(raw: Buffer, transport: Transport, remote: QueryInfo['remote'], send: (reply: Buffer) => void): Promise<void> {
    if (raw.length < 12 || (raw[2]! & 0x80) !== 0) return; // not a query: a real server stays silent
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(raw);
      if (query.questions.length !== 1) throw new RangeError('QDCOUNT must be 1');
    } catch {
      if (!this.#blackhole) send(formErr(raw));
      return;
    }
    const question = query.questions[0]!;
    const opt = query.additionals.find(isOpt);
    this.queries.push({
      name: question.name, type: question.type, transport, id: query.id, time: Date.now(),
      rd: query.flag_rd, cd: query.flag_cd, do: opt?.flag_do ?? false, edns: opt?.udpPayloadSize, raw: Buffer.from(raw),
    });

    const hooked = await this.onQuery?.(query, { transport, raw, remote, reply: () => this.#tableReply(query, raw).full });
    if (hooked === 'drop' || (hooked === undefined && this.#blackhole)) return;
    const reply = hooked ?? this.#reply(query, raw, transport);
    // Keys made here, not parsed: a query name may hold any octet (spaces included).
    const ms = this.#delays.get(`${normalizeName(question.name)} ${question.type.toUpperCase()}`)
      ?? this.#delays.get(normalizeName(question.name)) ?? this.#delay;
    if (ms > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.#timers.delete(timer); resolve(); }, ms);
        this.#timers.add(timer);
      });
    }
    if (this.#closing === undefined) send(reply);
  }

  #reply(query: DecodedPacket, raw: Buffer, transport: Transport): Buffer {
    const failure = this.#refused ? 'REFUSED' : this.#servfail ? 'SERVFAIL' : query.opcode !== 'QUERY' ? 'NOTIMP' : undefined;
    if (failure !== undefined) return buildReply(query, raw, { rcode: failure, aa: false, answers: [], authorities: [] }, this.#ra);
    const { full, parts } = this.#tableReply(query, raw);
    if (transport === 'tcp' || this.#truncateAt === undefined || full.length <= this.#truncateAt) return full;
    return buildReply(query, raw, { ...parts, answers: [], authorities: [] }, this.#ra, true);
  }

  #tableReply(query: DecodedPacket, raw: Buffer) {
    const { name, type } = query.questions[0]!;
    const parts = this.#zone.lookup(name, type);
    return { full: buildReply(query, raw, parts, this.#ra), parts };
  }
}

/** 'Web.Service.Consul.' -> 'web.service.consul'; 'web.service.consul a' -> 'web.service.consul A' */
function delayKey(nameOrKey: string): string {
  if (!/\s/.test(nameOrKey.trim())) return normalizeName(nameOrKey);
  const { name, type } = parseKey(nameOrKey);
  return `${name} ${type}`;
}
