import type { IncomingMessage, ServerResponse } from 'node:http';
import { CacheStore, type CacheEntry } from '@dnsmesh/cache';
import { inZone, rcodeName, typeFromName, typeName, type ServerBlock } from '@dnsmesh/core';
import { json, methodNotAllowed, type Route } from '../http/listener.js';

/** One line of `GET /cache`. */
export interface CacheLine {
  name: string;
  type: string;
  rcode: string;
  /** Seconds left; negative once stale. */
  ttl: number;
  stale: boolean;
  hits: number;
  /** The upstream that gave the answer; null when unknown. */
  upstream: string | null;
  /** The store tier: success, denial or servfail. */
  kind: string;
  zone: string;
  server: string;
}

/** Lines are sent in chunks of about this many bytes. */
const CHUNK = 64 * 1024;

/** `name` and `type` from the query string; a `type` that is no DNS type is an error. */
function selection(req: IncomingMessage): { name?: string; type?: number } | string {
  const params = new URL(req.url ?? '/', 'http://admin').searchParams;
  const name = params.get('name') ?? undefined;
  const typeText = params.get('type') ?? undefined;
  if (name === '') return 'name must not be empty';
  if (typeText === undefined) return { name };
  const type = typeFromName(typeText);
  if (type === undefined) return `unknown type '${typeText}'`;
  return { name, type };
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The block zone that holds a name (the most specific). */
function zoneOf(block: ServerBlock, lname: string): string {
  let best = '';
  for (const z of block.zones) if (inZone(lname, z) && z.length > best.length) best = z;
  return best || block.zones[0] || '.';
}

export function cacheLine(block: ServerBlock, entry: CacheEntry, now: number): CacheLine {
  const lname = canonical(entry.name);
  return {
    name: entry.name,
    type: typeName(entry.type),
    rcode: rcodeName(entry.rcode),
    ttl: entry.remaining(now),
    stale: !entry.freshAt(now),
    hits: entry.hits,
    upstream: entry.upstream ?? null,
    kind: entry.kind,
    zone: zoneOf(block, lname),
    server: block.serverLabel,
  };
}

/** Resolves when the response can take more, or when the client went away (false). */
function writable(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const drain = () => { res.off('close', close); resolve(true); };
    const close = () => { res.off('drain', drain); resolve(false); };
    res.once('drain', drain);
    res.once('close', close);
  });
}

/** The longest the dump works without letting DNS queries in (the issue asks for no stall over 20 ms). */
export const SLICE_MS = 5;
/** How many entries between two looks at the clock. */
const CHECK_EVERY = 64;

/** Lets the event loop run queued I/O (DNS queries) before the dump goes on. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `GET /cache[?name=N&type=T]`: one JSON line per entry of every cache store in the blocks that
 * name this address, streamed with backpressure (a store of 100k entries never sits in memory
 * as one string) and in slices of at most SLICE_MS of work, each followed by a turn of the event
 * loop, so DNS is answered while a large store is dumped to a fast reader.
 */
export const cacheRoute: Route = async (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  const sel = selection(req);
  if (typeof sel === 'string') return json(res, 400, { error: sel });
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  if (req.method === 'HEAD') { res.end(); return; }
  const lname = sel.name === undefined ? undefined : canonical(sel.name);
  let chunk = '';
  let sliceStart = performance.now();
  let seen = 0;
  for (const block of blocks) {
    const store = block.find(CacheStore);
    if (store === undefined) continue;
    const now = block.clock.now();
    for (const entry of store.entries()) {
      if (++seen % CHECK_EVERY === 0 && performance.now() - sliceStart >= SLICE_MS) {
        if (!(await send(res, chunk))) return;
        chunk = '';
        sliceStart = performance.now();
      }
      if (lname !== undefined && canonical(entry.name) !== lname) continue;
      if (sel.type !== undefined && entry.type !== sel.type) continue;
      chunk += `${JSON.stringify(cacheLine(block, entry, now))}\n`;
      if (chunk.length < CHUNK) continue;
      if (!(await send(res, chunk))) return;
      chunk = '';
      sliceStart = performance.now();
    }
  }
  res.end(chunk);
};

/**
 * Writes a chunk, waits for the socket when it is full, then always for one turn of the event
 * loop: when the kernel takes a write at once, 'drain' comes in a nextTick, and a dump that only
 * awaited it would run on in microtasks without letting a DNS query in. False once the client is gone.
 */
async function send(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (chunk !== '' && !res.write(chunk) && !(await writable(res))) return false;
  await yieldToLoop();
  return !res.destroyed;
}

/** `POST /cache/flush[?name=N&type=T]`: drops entries from every store; answers `{"flushed":N}`. */
export const flushRoute: Route = (req, res, blocks) => {
  if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
  const sel = selection(req);
  if (typeof sel === 'string') return json(res, 400, { error: sel });
  let flushed = 0;
  for (const block of blocks) flushed += block.find(CacheStore)?.flush(sel.name, sel.type) ?? 0;
  json(res, 200, { flushed });
};
