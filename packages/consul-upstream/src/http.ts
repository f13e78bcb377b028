import http from 'node:http';
import https from 'node:https';
import { checkServerIdentity } from 'node:tls';
import type { Duration } from '@dnsmesh/core';
import type { HttpBase } from './options.js';
import type { TlsSettings } from './tls.js';
import type { TokenSource } from './token.js';

/** One answer of the agent's HTTP API. */
export interface HttpResult {
  readonly status: number;
  /** X-Consul-Index as sent (NaN when missing or not a number). */
  readonly index: number;
  readonly body: string;
  /** X-Consul-KnownLeader: false when the server that answered (a stale read) knows no leader. */
  readonly knownLeader: boolean;
  /** X-Consul-LastContact in ms (0 when missing). */
  readonly lastContact: number;
}

/** The request had no answer within its time. */
export class HttpTimeout extends Error {
  override name = 'HttpTimeout';
}

/** A GET of a path (`/v1/...?...`) on the agent; rejects with HttpTimeout, an AbortError or a socket error. */
export type HttpGet = (path: string, opts: { readonly timeout: Duration; readonly signal: AbortSignal }) => Promise<HttpResult>;

/** Bodies larger than this are refused (a service with tens of thousands of instances still fits). */
const MAX_BODY = 64 * 1024 * 1024;

/**
 * An HTTP(S) client for one agent: at most `maxConnections` keep-alive connections (a hard bound:
 * more requests wait in the agent's queue), the token in X-Consul-Token (re-read from its file when
 * it changes), no proxy, no redirects. A host name is resolved by Node's default lookup, the
 * system's getaddrinfo, at each new connection. Node's `http`/`https` rather than fetch: fetch's
 * dispatcher gives up on headers after 300 s, and a blocking query waits up to 5m + 5m/16 by design.
 */
export class ConsulHttp {
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #token: TokenSource;

  constructor(readonly base: HttpBase, token: TokenSource, maxConnections: number, tls?: TlsSettings) {
    this.#token = token;
    const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: maxConnections, maxTotalSockets: maxConnections, maxFreeSockets: maxConnections };
    if (base.https) {
      this.#transport = https;
      this.#agent = new https.Agent({
        ...common,
        ...(tls?.ca !== undefined ? { ca: [...tls.ca] } : {}),
        ...(tls?.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
        ...(tls?.serverName !== undefined ? { servername: tls.serverName } : {}),
        rejectUnauthorized: tls?.insecureSkipVerify !== true,
        // tls_servername replaces the URL's host in the certificate check, as Consul's own clients do.
        ...(tls?.serverName !== undefined ? { checkServerIdentity: (_host: string, cert: import('node:tls').PeerCertificate) => tlsCheck(tls.serverName!, cert) } : {}),
      });
    } else {
      this.#transport = http;
      this.#agent = new http.Agent(common);
    }
  }

  /** Sockets open now (in use and idle): never more than maxConnections. */
  get sockets(): number {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>): number => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return count(this.#agent.sockets) + count(this.#agent.freeSockets);
  }

  readonly get: HttpGet = (path, { timeout, signal }) => new Promise<HttpResult>((resolve, reject) => {
    if (signal.aborted) { reject(abortError(signal)); return; }
    let settled = false;
    const finish = (err: Error | undefined, result?: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err !== undefined) { req.destroy(); reject(err); } else resolve(result!);
    };
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'dnsmesh-consul' };
    const token = this.#token.current();
    if (token !== undefined) headers['X-Consul-Token'] = token;
    const req = this.#transport.request({
      host: this.base.host, port: this.base.port, path, method: 'GET', agent: this.#agent, headers,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) { finish(new Error(`body larger than ${MAX_BODY} bytes`)); return; }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const raw = res.headers['x-consul-index'];
        const index = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
        const contact = Number(res.headers['x-consul-lastcontact']);
        finish(undefined, {
          status: res.statusCode ?? 0, index, body: Buffer.concat(chunks).toString('utf8'),
          knownLeader: res.headers['x-consul-knownleader'] !== 'false', lastContact: Number.isFinite(contact) && contact > 0 ? contact : 0,
        });
      });
      res.on('error', (err) => finish(err));
      res.on('aborted', () => finish(new Error('response aborted')));
    });
    const onAbort = (): void => finish(abortError(signal));
    const timer = setTimeout(() => finish(new HttpTimeout(`no answer within ${timeout} ms`)), timeout);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(err));
    req.end();
  });

  /** Closes every connection (held blocking queries end). */
  close(): void {
    this.#agent.destroy();
  }
}

function tlsCheck(name: string, cert: import('node:tls').PeerCertificate): Error | undefined {
  return checkServerIdentity(name, cert);
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}
