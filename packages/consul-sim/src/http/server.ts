// The HTTP port: /v1 (Consul's API, behind the failure modes and ACLs) and /_sim (control, always up).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { requestToken, resolveGrant } from '../acl.js';
import type { Counters } from '../counters.js';
import type { Failures } from '../failures.js';
import type { SimConfig } from '../options.js';
import type { Catalog } from '../state.js';
import type { Timers } from '../timers.js';
import { control, type Control } from './control.js';
import type { HttpContext } from './context.js';
import { text, type Reply } from './reply.js';
import { route } from './routes.js';

export interface HttpHooks {
  readonly cfg: SimConfig;
  readonly catalog: Catalog;
  readonly counters: Counters;
  readonly failures: Failures;
  readonly timers: Timers;
  readonly control: Control;
  ports(): { dns: number; http: number };
}

export class HttpServer {
  #server: http.Server | undefined;
  readonly #cached = new Set<string>();
  /** Connections open now, by client address. */
  readonly #perClient = new Map<string, number>();
  readonly #refused = new WeakSet<Socket>();
  constructor(readonly hooks: HttpHooks) {}

  listen(host: string, port: number): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.#handle(req, res).catch((err: unknown) => write(res, text(500, String((err as Error).message ?? err))));
    };
    const tls = this.hooks.cfg.tls;
    const server: http.Server = tls === undefined
      ? http.createServer(handler)
      : https.createServer({
        cert: tls.cert, key: tls.key, ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        requestCert: tls.verify_incoming === true, rejectUnauthorized: tls.verify_incoming === true,
      }, handler);
    // Over TLS a connection counts once its handshake is done (a refused handshake never reaches HTTP).
    server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => this.#admit(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', reject);
        this.#server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Also ends held requests: blocked queries and blackholed ones. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  /**
   * Consul's per-client connection limit (go-connlimit): a connection past
   * http_max_conns_per_client gets a bare 429 and is closed, before any request is read.
   */
  #admit(socket: Socket): void {
    const { counters, cfg } = this.hooks;
    const client = socket.remoteAddress ?? '';
    const open = this.#perClient.get(client) ?? 0;
    if (cfg.maxConnsPerClient > 0 && open >= cfg.maxConnsPerClient) {
      counters.http_connections_refused++;
      this.#refused.add(socket);
      socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      socket.destroySoon();
      return;
    }
    this.#perClient.set(client, open + 1);
    counters.http_connections++;
    counters.http_connections_max = Math.max(counters.http_connections_max, counters.http_connections);
    socket.once('close', () => {
      counters.http_connections--;
      const n = (this.#perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.#perClient.delete(client); else this.#perClient.set(client, n);
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { counters, failures, timers } = this.hooks;
    if (this.#refused.has(req.socket)) return;           // already answered 429 and closing
    const url = new URL(req.url ?? '/', 'http://consul-sim');
    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
      const r = await control(req, url, this.hooks.control);
      if (r.after !== undefined) res.once('finish', r.after);
      write(res, r.reply);
      return;
    }
    counters.http_requests.total++;
    counters.http_requests.by_path[url.pathname] = (counters.http_requests.by_path[url.pathname] ?? 0) + 1;
    if (failures.blackholed('http')) return; // the connection stays open and silent
    const reply = await this.#api(req, url, res);
    const delay = failures.delay('http', Math.random);
    if (delay > 0) await timers.sleep(delay);
    write(res, reply);
  }

  #api(req: http.IncomingMessage, url: URL, res: http.ServerResponse): Reply | Promise<Reply> {
    const { cfg, failures } = this.hooks;
    if (failures.has('rate_limit')) return text(429, 'rate limit exceeded');
    const token = requestToken(req.headers, url);
    const grant = resolveGrant(cfg.acl, token);
    if (!grant.ok) return text(403, 'ACL not found');
    const ctx: HttpContext = { ...this.hooks, cached: this.#cached, grant: grant.grant, token: grant.token, res, url };
    return route(req.method ?? 'GET', ctx, this.hooks.ports());
  }
}

function write(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
  res.end(res.req.method === 'HEAD' ? undefined : reply.body);
}
