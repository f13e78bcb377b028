import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerBlock } from '@dnsmesh/core';
import { formatAddress, type HttpAddress } from './address.js';

/**
 * Answers one path for the blocks that mounted it. `blocks` lists every block that named this
 * address for this path, oldest first (ready and admin look at all of them; metrics at the newest).
 */
export type Route = (req: IncomingMessage, res: ServerResponse, blocks: readonly ServerBlock[]) => void | Promise<void>;

interface Mount { readonly block: ServerBlock; readonly route: Route }

/** One node:http server for one address, shared by every directive and block that names it. */
class Listener {
  readonly server: Server;
  readonly paths = new Map<string, Mount[]>();
  refs = 0;
  listening: Promise<void> | undefined;
  url = '';

  constructor(readonly key: string, readonly address: HttpAddress) {
    this.server = createServer((req, res) => this.#serve(req, res));
  }

  listen(): Promise<void> {
    this.listening ??= new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(new Error(`cannot listen on ${formatAddress(this.address)}: ${err.message}`, { cause: err }));
      this.server.once('error', fail);
      this.server.listen({ host: this.address.host === '' ? undefined : this.address.host, port: this.address.port }, () => {
        this.server.off('error', fail);
        const a = this.server.address() as AddressInfo;
        const host = this.address.host === '' ? '127.0.0.1' : a.address;
        this.url = `http://${formatAddress({ host, port: a.port })}`;
        resolve();
      });
    });
    return this.listening;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const mounts = this.paths.get(path);
    if (mounts === undefined || mounts.length === 0) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const blocks = [...new Set(mounts.map((m) => m.block))];
    const route = mounts[mounts.length - 1]!.route;
    Promise.resolve()
      .then(() => route(req, res, blocks))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${(err as Error).message ?? String(err)}\n`);
      });
  }
}

/** Listeners by address. Port 0 asks for a fresh port, so it is shared only inside one server (one metrics Registry). */
const listeners = new Map<string, Listener>();
/** Listeners being closed: a new mount of the same address waits for the port to be free. */
const closing = new Map<string, Promise<void>>();
const scopes = new WeakMap<object, number>();
let nextScope = 1;
const urls = new WeakMap<ServerBlock, Map<string, string>>();

function keyFor(address: HttpAddress, block: ServerBlock): string {
  const base = formatAddress(address);
  if (address.port !== 0) return base;
  let scope = scopes.get(block.metrics);
  if (scope === undefined) { scope = nextScope++; scopes.set(block.metrics, scope); }
  return `${base}#${scope}`;
}

/** What `mount` gives back: where it listens, and how to let go. */
export interface Mounted {
  /** "http://127.0.0.1:9153". */
  readonly url: string;
  /** Removes the routes; the last one out closes the server. Safe to call twice. */
  unmount(): Promise<void>;
}

/**
 * Serves `routes` (path → handler) on `address` for `block`, starting the HTTP server when it is
 * the first to name that address. Several blocks (and several directives: `health` and
 * `prometheus` on one port) share one server; it closes when the last of them unmounts.
 */
export async function mount(directive: string, address: HttpAddress, block: ServerBlock, routes: Record<string, Route>): Promise<Mounted> {
  const key = keyFor(address, block);
  await closing.get(key);
  let listener = listeners.get(key);
  if (listener === undefined) {
    listener = new Listener(key, address);
    listeners.set(key, listener);
  }
  listener.refs++;
  const added: [string, Mount][] = [];
  for (const [path, route] of Object.entries(routes)) {
    const mounts = listener.paths.get(path) ?? [];
    const m = { block, route };
    mounts.push(m);
    listener.paths.set(path, mounts);
    added.push([path, m]);
  }
  const l = listener;
  let done = false;
  const unmount = async (): Promise<void> => {
    if (done) return;
    done = true;
    for (const [path, m] of added) {
      const mounts = l.paths.get(path);
      const at = mounts?.indexOf(m) ?? -1;
      if (at >= 0) mounts!.splice(at, 1);
      if (mounts?.length === 0) l.paths.delete(path);
    }
    if (--l.refs === 0) {
      if (listeners.get(key) === l) listeners.delete(key);
      const closed = (async () => {
        await l.listening?.catch(() => undefined);
        if (l.server.listening) await l.close();
      })();
      closing.set(key, closed);
      try {
        await closed;
      } finally {
        if (closing.get(key) === closed) closing.delete(key);
      }
    }
  };
  try {
    await listener.listen();
  } catch (err) {
    await unmount();
    throw err;
  }
  let byDirective = urls.get(block);
  if (byDirective === undefined) { byDirective = new Map(); urls.set(block, byDirective); }
  byDirective.set(directive, listener.url);
  return { url: listener.url, unmount };
}

/**
 * Where a block's HTTP directive listens, once the server has started:
 * `httpUrl(server.blocks[0], 'prometheus')` → "http://127.0.0.1:40123". For tests and tools
 * that ask for port 0.
 */
export function httpUrl(block: ServerBlock, directive: string): string | undefined {
  return urls.get(block)?.get(directive);
}

/** Replies with a short text body. */
export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
}

/** Replies with one JSON document. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

/** 405 with the methods a path takes. */
export function methodNotAllowed(res: ServerResponse, allow: string): void {
  text(res, 405, 'method not allowed\n', { allow });
}
