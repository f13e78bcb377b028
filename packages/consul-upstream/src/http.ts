import http from 'node:http';
import type { Duration } from '@dnsmesh/core';
import type { HttpBase } from './options.js';

/** One answer of the agent's HTTP API. */
export interface HttpResult {
  readonly status: number;
  /** X-Consul-Index as sent (NaN when missing or not a number). */
  readonly index: number;
  readonly body: string;
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
 * An HTTP client for one agent: keep-alive connections (each watch holds one while it blocks),
 * the token in X-Consul-Token, no proxy, no redirects, no name lookup beyond `localhost`. Node's
 * `http` rather than fetch: fetch's dispatcher gives up on headers after 300 s, and a blocking
 * query waits up to 5m + 5m/16 by design.
 */
export class ConsulHttp {
  readonly #agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 16 });
  readonly #headers: Record<string, string>;

  constructor(readonly base: HttpBase, token: string | undefined) {
    this.#headers = { Accept: 'application/json', 'User-Agent': 'dnsmesh-consul' };
    if (token !== undefined) this.#headers['X-Consul-Token'] = token;
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
    const req = http.request({
      host: this.base.host, port: this.base.port, path, method: 'GET', agent: this.#agent, headers: this.#headers,
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
        finish(undefined, { status: res.statusCode ?? 0, index, body: Buffer.concat(chunks).toString('utf8') });
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

function abortError(signal: AbortSignal): Error {
  const err = new Error('aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}
