import http2 from 'node:http2';
import { listenOn } from './listen.js';
import type net from 'node:net';
import type tls from 'node:tls';
import type { ClientInfo } from '../context.js';
import type { Edge } from './edge.js';
import { clientKey } from './client-key.js';
import { TCP_DEFAULTS, TcpCounts, type TcpOptions } from './tcp-options.js';
import { serverTlsOptions, type TlsSettings } from './tls-settings.js';

/** RFC 8484 §6: the media type of a DNS message in a request or a response body. */
const MEDIA_TYPE = 'application/dns-message';
/** RFC 8484 §4.1: the path dnsmesh serves (the URI template is https://HOST/dns-query{?dns}). */
const PATH = '/dns-query';
/** The largest DNS message (a TCP frame's length field). */
const MAX_MESSAGE = 65_535;

type Request = http2.Http2ServerRequest;
type Response = http2.Http2ServerResponse;

/**
 * A DNS-over-HTTPS listener (RFC 8484): HTTP/2 over TLS, with HTTP/1.1 for clients that do not
 * speak it (ALPN), on `/dns-query`: GET with `?dns=` (base64url, no padding) and POST with an
 * `application/dns-message` body. Each query goes through the same edge as UDP and TCP ones, as a
 * stream transport (replies up to 65535 bytes, never truncated). The TCP bounds hold here too:
 * `maxConnections` and `maxPerClient` at accept (the stalest connection makes room), `maxInflight`
 * as HTTP/2's concurrent streams, `idleTimeout` on a quiet connection, `frameTimeout` for a
 * handshake.
 */
export class DohListener {
  #server: http2.Http2SecureServer | undefined;
  /** Open connections (raw TCP sockets), the one that most recently asked last. */
  readonly #conns = new Map<net.Socket, string>();
  readonly #perClient = new Map<string, number>();
  /** Requests answered (for tests and tools), by HTTP version. */
  readonly requests = { h2: 0, h1: 0 };

  constructor(readonly edge: Edge, readonly host: string, readonly port: number, public opts: TcpOptions = TCP_DEFAULTS, readonly counts: TcpCounts = new TcpCounts(), readonly tls?: TlsSettings) {}

  async listen(): Promise<void> {
    if (this.tls === undefined) throw new Error('an https:// listener needs a certificate (tls CERT KEY)');
    const server = http2.createSecureServer({
      ...serverTlsOptions(this.tls), allowHTTP1: true, handshakeTimeout: this.opts.frameTimeout,
      settings: { maxConcurrentStreams: this.opts.maxInflight },
    }, (req, res) => this.#request(req, res));
    server.on('connection', (raw: net.Socket) => this.#accept(raw));
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.setTimeout(this.opts.idleTimeout, () => { this.counts.idleTimeouts++; socket.destroy(); });
    });
    server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
      this.counts.tlsErrors++;
      this.edge.logger.debug({ err: err.message, code: err.code, client: socket.remoteAddress }, 'TLS handshake failed');
    });
    await listenOn(server, this.port, this.host);
    this.#server = server;
  }

  get address(): { host: string; port: number } {
    const a = this.#server!.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  get connections(): number {
    return this.#conns.size;
  }

  /** New limits and a certificate read again (a reload). */
  reconfigure(opts: TcpOptions, tlsSettings?: TlsSettings): void {
    this.opts = opts;
    if (tlsSettings !== undefined) this.#server?.setSecureContext(serverTlsOptions(tlsSettings));
  }

  #accept(raw: net.Socket): void {
    const counts = this.counts;
    const key = clientKey(raw.remoteAddress ?? '');
    const mine = this.#perClient.get(key) ?? 0;
    if (mine >= this.opts.maxPerClient) {
      counts.refusedPerClient++;
      raw.destroy();
      return;
    }
    while (this.#conns.size >= this.opts.maxConnections) {
      const stalest = this.#conns.keys().next().value!;
      counts.evicted++;
      stalest.destroy();
      this.#release(stalest);
    }
    counts.accepted++;
    counts.open++;
    this.#perClient.set(key, mine + 1);
    this.#conns.set(raw, key);
    raw.once('close', () => this.#release(raw));
  }

  #release(raw: net.Socket): void {
    const key = this.#conns.get(raw);
    if (key === undefined) return;
    this.#conns.delete(raw);
    this.counts.open--;
    const n = (this.#perClient.get(key) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(key);
    else this.#perClient.set(key, n);
  }

  #request(req: Request, res: Response): void {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== PATH) return void send(res, 404, 'not found: DNS queries go to /dns-query\n');
    // A connection that asks keeps its place (eviction takes the stalest).
    const raw = (req.socket as unknown as { _parent?: net.Socket })._parent;
    if (raw !== undefined && this.#conns.has(raw)) { const k = this.#conns.get(raw)!; this.#conns.delete(raw); this.#conns.set(raw, k); }
    if (req.httpVersionMajor >= 2) this.requests.h2++; else this.requests.h1++;
    if (req.method === 'GET') {
      const dns = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('dns');
      if (dns === null || !/^[A-Za-z0-9_-]*$/.test(dns)) return void send(res, 400, 'expected ?dns= with a base64url DNS message\n');
      const bytes = Buffer.from(dns, 'base64url');
      if (bytes.length > MAX_MESSAGE) return void send(res, 414, 'DNS message too long\n');
      this.#answer(req, res, bytes);
      return;
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== MEDIA_TYPE) return void send(res, 415, `expected Content-Type: ${MEDIA_TYPE}\n`);
      const chunks: Buffer[] = [];
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_MESSAGE) { send(res, 413, 'DNS message too long\n'); req.destroy(); return; }
        chunks.push(chunk);
      });
      req.on('end', () => { if (length <= MAX_MESSAGE) this.#answer(req, res, Buffer.concat(chunks, length)); });
      return;
    }
    res.setHeader('allow', 'GET, POST');
    send(res, 405, 'GET or POST\n');
  }

  #answer(req: Request, res: Response, bytes: Buffer): void {
    const s = req.socket;
    const client: ClientInfo = { address: s.remoteAddress ?? '', port: s.remotePort ?? 0, transport: 'tcp', family: s.remoteFamily === 'IPv6' ? 6 : 4 };
    let result;
    try {
      result = this.edge.handle(bytes, client);
    } catch {
      return void send(res, 500, 'server error\n');
    }
    const reply = (out: Buffer | number | undefined): void => {
      if (res.closed || res.destroyed) return;
      // The edge drops what is not a query at all (shorter than a header, QR set): 400 (RFC 8484 §4.2.1).
      if (out === undefined || typeof out === 'number') return void send(res, 400, 'not a DNS query\n');
      res.writeHead(200, { 'content-type': MEDIA_TYPE, 'content-length': out.length, 'cache-control': `max-age=${minTtl(out)}` });
      res.end(out);
    };
    if (result instanceof Promise) result.then(reply, () => send(res, 500, 'server error\n'));
    else reply(result);
  }

  /** Stops accepting; open connections are closed after a second (in-flight answers go out first). */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const timer = setTimeout(() => { for (const raw of [...this.#conns.keys()]) { raw.destroy(); this.#release(raw); } }, 1000);
    await closed;
    clearTimeout(timer);
  }
}

function send(res: Response, status: number, text: string): void {
  if (res.headersSent || res.closed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * RFC 8484 §5.1: the freshness lifetime of a response is at most its smallest TTL (the SOA's
 * MINIMUM bounds a negative one too, but the SOA's TTL already does in practice). Reads the TTLs
 * straight from the wire; 0 when the message cannot be walked.
 */
export function minTtl(msg: Buffer): number {
  try {
    const count = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
    let at = 12;
    for (let q = msg.readUInt16BE(4); q > 0; q--) at = skipName(msg, at) + 4;
    let min = Infinity;
    for (let i = 0; i < count; i++) {
      at = skipName(msg, at);
      const type = msg.readUInt16BE(at);
      const ttl = msg.readUInt32BE(at + 4);
      if (type !== 41) min = Math.min(min, ttl);     // an OPT's "TTL" holds flags, not a lifetime
      at += 10 + msg.readUInt16BE(at + 8);
    }
    return min === Infinity ? 0 : min;
  } catch {
    return 0;
  }
}

function skipName(msg: Buffer, at: number): number {
  for (;;) {
    const len = msg[at];
    if (len === undefined) throw new RangeError('name runs past the message');
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += 1 + len;
  }
}
