import { spawn } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cache, CacheEntry, CacheStore } from '@dnsmesh/cache';
import { createServer, manualClock, type DnsServer } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { answer } from '../../test/helpers.js';
import { httpUrl } from '../http/listener.js';
import { adminPlugin, cacheRoute, type AdminInput } from './index.js';

const TOKEN = 'c2VjcmV0LXRva2VuLWZvci10ZXN0cw';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start(input: Partial<AdminInput> = {}, capacity?: number) {
  const metrics = new Registry();
  const store = cache(capacity === undefined ? {} : { success: { capacity } });
  server = await createServer({ clock: manualClock(), metrics, plugins: [adminPlugin({ address: '127.0.0.1:0', ...input }), store, answer()] }).start();
  const url = new URL(httpUrl(server.blocks[0]!, 'admin')!);
  return { url, port: Number(url.port), dns: server.address, metrics, store: server.blocks[0]!.get(CacheStore, 'test') };
}

/** An HTTP request with the headers given as they are (fetch will not send a Host of our choosing). */
function call(url: URL, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers: opts.headers, setHost: opts.headers?.host === undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin guard: DNS rebinding and CSRF', () => {
  it("refuses a Host that is not the endpoint's own, for reading and for changing", async () => {
    const { url, port, metrics } = await start();
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `attacker.localhost:${port}`]) {
      const r = await call(url, '/cache', { headers: { host } });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body).error).toContain('is not this endpoint');
      expect((await call(url, '/cache/flush', { method: 'POST', headers: { host } })).status).toBe(403);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await call(url, '/cache', { headers: { host } })).status, host).toBe(200);
    }
    expect(await metrics.metrics()).toMatch(/dnsmesh_admin_refused_total\{server="[^"]+",reason="host"\} 8/);
  });

  it("refuses a foreign Origin (a web page's form or fetch), and takes the endpoint's own", async () => {
    const { url, port, store, dns } = await start();
    await query(dns, 'web.test', 'A');
    const foreign = await call(url, '/cache/flush', { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect((await call(url, '/cache/flush', { method: 'POST', headers: { origin: 'null' } })).status).toBe(403);
    expect((await call(url, '/cache', { headers: { origin: `https://127.0.0.1:${port}` } })).status).toBe(403);
    expect(store.size).toBe(1);
    const own = await call(url, '/cache/flush', { method: 'POST', headers: { origin: `http://localhost:${port}` } });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toEqual({ flushed: 1 });
  });
});

describe('admin guard: the token', () => {
  it('without the right bearer token, every request is 401 with a challenge; with it, reading and flushing work', async () => {
    const { url, dns, store, metrics } = await start({ token: TOKEN });
    await query(dns, 'web.test', 'A');
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const get = await call(url, '/cache', { headers });
      expect(get.status, authorization).toBe(401);
      expect(get.headers['www-authenticate']).toBe('Bearer realm="dnsmesh-admin"');
      expect((await call(url, '/cache/flush', { method: 'POST', headers })).status).toBe(401);
    }
    expect(store.size).toBe(1);
    const auth = { authorization: `bearer ${TOKEN}` };
    const dump = await call(url, '/cache', { headers: auth });
    expect(dump.status).toBe(200);
    expect(dump.body).toContain('"name":"web.test"');
    expect(JSON.parse((await call(url, '/cache/flush', { method: 'POST', headers: auth })).body)).toEqual({ flushed: 1 });
    expect(await metrics.metrics()).toMatch(/reason="token"\} 10/);
  });

  it('without a token, a loopback endpoint takes changes from loopback (and the other checks still hold)', async () => {
    const { url } = await start();
    expect((await call(url, '/cache/flush', { method: 'POST' })).status).toBe(200);
    expect((await call(url, '/cache/flush', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('admin dump under load', () => {
  /** Counts turns of the event loop until stopped: a dump that never yields lets none through. */
  function loopTurns(): { stop(): number } {
    let turns = 0;
    let running = true;
    const tick = (): void => { if (running) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    return { stop: () => { running = false; return turns; } };
  }

  async function filled(entries: number) {
    const started = await start({}, entries + 10);
    await query(started.dns, 'seed.test', 'A');
    const seed = [...started.store.entries()][0]!;
    for (let i = 0; i < entries; i++) {
      started.store.put(new CacheEntry(`k${i}`, seed.bytes, seed.layout, 'success', seed.storedAt, 30, `n${i}.test`, 1, 0, undefined, false));
    }
    expect(started.store.size).toBe(entries + 1);
    await (await fetch(`${started.url.origin}/cache?name=none.test`)).text(); // fetch loads its code on first use: not the dump's doing
    return started;
  }

  /**
   * A reader in another process, as an operator's curl would be (it takes no turn of this event
   * loop): started first, it fetches the URL when `go()` is called; `lines` is how many JSON lines it read.
   */
  async function readerElsewhere(url: string): Promise<{ go(): void; lines: Promise<number> }> {
    // fetch loads its code on first use: the reader warms it up (a dump of nothing) before it says ready.
    const script = "const u = process.argv[1]; fetch(u + '?name=none.test').then((r) => r.text()).then(() => { process.stdout.write('ready\\n'); process.stdin.once('data', () => fetch(u).then((r) => r.text()).then((t) => process.stdout.write(String(t.split('\\n').filter((l) => l.startsWith('{')).length)))); })";
    const child = spawn(process.execPath, ['-e', script, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    onTestFinished(() => { child.kill('SIGKILL'); });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const lines = new Promise<number>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(Number(out.slice('ready\n'.length))) : reject(new Error(`reader exited ${code}`)))));
    await new Promise<void>((resolve) => { const check = () => { if (out.startsWith('ready\n')) resolve(); else setTimeout(check, 10); }; check(); });
    return { go: () => { child.stdin!.end('go\n'); }, lines };
  }

  it('dumps 50,000 entries to a fast reader while DNS queries are answered', async () => {
    const { url, dns, store } = await filled(50_000);
    // The dump route on an HTTP server of the test's own, so the test knows when the dump begins and ends.
    let begun = 0;
    let ended = 0;
    const http = createHttpServer((req, res) => {
      begun = performance.now();
      void cacheRoute(req, res, server!.blocks)!.then(() => { ended = performance.now(); });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const reader = await readerElsewhere(`http://127.0.0.1:${(http.address() as AddressInfo).port}/cache`);
    // Every turn of the event loop, stamped; and when each DNS answer came.
    const turns: number[] = [];
    let ticking = true;
    const tick = (): void => { if (ticking) { turns.push(performance.now()); setImmediate(tick); } };
    setImmediate(tick);
    const answers: number[] = [];
    let reading = true;
    reader.go();
    const lines = reader.lines.finally(() => { reading = false; });
    while (reading && answers.length < 10_000) {
      await query(dns, 'seed.test', 'A');
      answers.push(performance.now());
    }
    expect(await lines).toBe(store.size);
    ticking = false;
    expect(ended).toBeGreaterThan(begun);
    const inside = turns.filter((t) => t > begun && t < ended);
    const answered = answers.filter((t) => t > begun && t < ended).length;
    // The dump works in slices, each followed by a turn of the loop: DNS queries are answered while
    // it runs. A dump that only awaited 'drain' (which a fast socket emits in a nextTick) held the
    // loop for its whole length: no query answered, no turn. Counts, not durations (no timing here).
    expect(answered).toBeGreaterThan(0);
    expect(inside.length).toBeGreaterThan(1);
  });

  it('yields while it scans for a filter that matches little (no write to wait on)', async () => {
    const { url } = await filled(100_000);
    const turns = loopTurns();
    const r = await fetch(`${url.origin}/cache?name=n99999.test&type=A`);
    const lines = (await r.text()).split('\n').filter((l) => l !== '');
    const n = turns.stop();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'n99999.test', type: 'A' });
    expect(n).toBeGreaterThan(2);
  });
});
