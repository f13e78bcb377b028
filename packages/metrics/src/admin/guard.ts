import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { json, type Route } from '../http/listener.js';
import type { AdminOptions } from './setup.js';

/** Why a request was refused (the label of `dnsmesh_admin_refused_total`). */
export type Refusal = 'host' | 'origin' | 'token' | 'not_loopback';

export class AdminCounts {
  readonly refused = new Map<Refusal, number>([['host', 0], ['origin', 0], ['token', 0], ['not_loopback', 0]]);
}

/**
 * Wraps an admin route with the checks every request passes first:
 *
 * 1. **Host** must name this endpoint: its configured host or the address the request came in on,
 *    or `localhost`, with the port it listens on. A page on another site that the operator's
 *    browser visits cannot reach the endpoint through a name it controls (DNS rebinding).
 * 2. **Origin**, when sent, must be this endpoint too: a foreign page's form or fetch is refused
 *    (cross-site request forgery), whatever its Host.
 * 3. With a **token** configured, every request needs `Authorization: Bearer TOKEN` (the dump
 *    shows which names were asked, so reading is guarded too). Without one, reading is allowed
 *    and changing (any method but GET and HEAD) only when the endpoint listens on loopback and
 *    the request comes from loopback.
 */
export function guarded(options: AdminOptions, counts: AdminCounts, route: Route): Route {
  const secret = options.token === undefined ? undefined : digest(options.token);
  const loopbackOnly = isLoopback(options.address.host);
  return (req, res, blocks) => {
    const refusal = check(req, options, secret, loopbackOnly);
    if (refusal === undefined) return route(req, res, blocks);
    counts.refused.set(refusal, (counts.refused.get(refusal) ?? 0) + 1);
    switch (refusal) {
      case 'host': return json(res, 403, { error: `Host '${req.headers.host ?? ''}' is not this endpoint; use its address or localhost` });
      case 'origin': return json(res, 403, { error: `Origin '${req.headers.origin}' is not this endpoint` });
      case 'not_loopback': return json(res, 403, { error: 'changes need a token (admin ADDRESS { token TOKEN }) unless the endpoint and the client are on loopback' });
      default:
        res.setHeader('www-authenticate', 'Bearer realm="dnsmesh-admin"');
        return json(res, 401, { error: 'a valid bearer token is required (Authorization: Bearer TOKEN)' });
    }
  };
}

function check(req: IncomingMessage, options: AdminOptions, secret: Buffer | undefined, loopbackOnly: boolean): Refusal | undefined {
  const hosts = ownHosts(req, options);
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) return 'host';
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.toLowerCase().startsWith('http://') && hosts.has(origin.slice(7).toLowerCase()))) return 'origin';
  if (secret !== undefined) return bearerMatches(req.headers.authorization, secret) ? undefined : 'token';
  const changes = req.method !== 'GET' && req.method !== 'HEAD';
  if (changes && !(loopbackOnly && isLoopback(req.socket.remoteAddress ?? ''))) return 'not_loopback';
  return undefined;
}

/** `host:port` forms that name this endpoint, lower case. */
function ownHosts(req: IncomingMessage, options: AdminOptions): Set<string> {
  const port = req.socket.localPort ?? options.address.port;
  const out = new Set<string>();
  const add = (host: string): void => {
    const h = host.toLowerCase();
    const shown = isIP(h) === 6 ? `[${h}]` : h;
    out.add(`${shown}:${port}`);
    if (port === 80) out.add(shown);
  };
  add('localhost');
  const configured = options.address.host;
  if (configured !== '0.0.0.0' && configured !== '::') add(configured);
  const local = req.socket.localAddress;
  if (local !== undefined) add(local.startsWith('::ffff:') && isIP(local.slice(7)) === 4 ? local.slice(7) : local);
  return out;
}

function bearerMatches(header: string | undefined, secret: Buffer): boolean {
  const m = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header);
  // Digests of equal length: the comparison takes the same time whatever the guess.
  return m !== null && timingSafeEqual(digest(m[1]!), secret);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** 127.0.0.0/8, ::1, an IPv4-mapped loopback, or the name localhost. */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
