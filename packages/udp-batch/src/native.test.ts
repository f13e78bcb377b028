import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBinding, packageRoot, type NativeBinding, type NativeHandle } from './native.js';

// The raw binding, called the ways the TypeScript wrapper never would: every argument is
// checked in C, so each of these throws a TypeError or RangeError instead of crashing.

const loaded = loadBinding();
const native = loaded.binding as NativeBinding; // a missing build fails the first test
const addon = path.join(packageRoot, 'build', 'Release', 'udp_batch.node');
const noop = () => {};

describe('the raw binding', () => {
  it('loads', () => {
    expect(loaded.error?.message).toBeUndefined();
    expect(native.ADDR_SLOT).toBe(28);
    expect(native.MAX_BATCH).toBe(1024);
    expect(native.MAX_SLOT).toBe(65535);
  });

  it('rejects bad open() arguments', () => {
    const ok: unknown[] = ['127.0.0.1', 0, false, 0, 0, 64, 4096, false, noop];
    const call = (args: unknown[]) => () => (native.open as (...a: unknown[]) => unknown)(...args);
    const at = (i: number, v: unknown) => ok.map((x, j) => (j === i ? v : x));
    expect(call([])).toThrow(TypeError);
    expect(call(ok.slice(0, 8))).toThrow(TypeError);
    expect(call([...ok, 1])).toThrow(TypeError);
    expect(call(at(0, 5))).toThrow(TypeError);
    expect(call(at(0, 'localhost'))).toThrow(TypeError);
    expect(call(at(0, '1.2.3.4.5'))).toThrow(TypeError);
    expect(call(at(0, 'fe80::1%no-such-if0'))).toThrow(TypeError);
    expect(call(at(0, 'x'.repeat(10_000)))).toThrow(RangeError);
    expect(call(at(0, '127.0.0.1\u0000junk'))).toThrow(TypeError); // embedded NUL
    for (const [i, v] of [[1, -1], [1, 65536], [1, 0.5], [3, -1], [3, 2 ** 31], [4, 1e300], [5, 0], [5, 1025], [5, NaN], [6, 0], [6, 65536], [6, -Infinity]] as const) {
      expect(call(at(i, v)), `${i}=${v}`).toThrow(RangeError);
    }
    for (const [i, v] of [[1, '0'], [1, null], [2, 1], [2, undefined], [5, 64n], [6, {}], [7, 1], [7, null], [8, {}], [8, null]] as const) {
      expect(call(at(i, v)), `${i}=${String(v)}`).toThrow(TypeError);
    }
    // keepTruncated gives a cut datagram the length slot + 1: the slot must leave room for it in a u16.
    const keep = at(7, true);
    expect(call(keep.map((x, j) => (j === 6 ? 65535 : x)))).toThrow(RangeError);
    native.close((call(keep.map((x, j) => (j === 6 ? 65534 : x)))() as NativeHandle));
  });

  it('rejects anything but its own handles', () => {
    const h = native.open('127.0.0.1', 0, false, 0, 0, 4, 512, false, noop);
    try {
      const slot = new Uint8Array(28);
      const fakes: unknown[] = [undefined, null, 1, 'h', {}, { ...h }, Object.create(h), [h], new Uint8Array(8)];
      for (const fake of fakes) {
        expect(() => native.sendTo(fake as NativeHandle, Buffer.from('x'), slot)).toThrow(TypeError);
        expect(() => native.close(fake as NativeHandle)).toThrow(TypeError);
        expect(() => native.setRef(fake as NativeHandle, true)).toThrow(TypeError);
      }
      expect(() => (native.close as (...a: unknown[]) => void)()).toThrow(TypeError);
      expect(() => (native.sendTo as (...a: unknown[]) => void)(h)).toThrow(TypeError);
      expect(() => native.setRef(h, 1 as unknown as boolean)).toThrow(TypeError);
      expect(h.port).toBeGreaterThan(0);
      expect(h.memory.byteLength).toBe(h.bufOffset + 4 * 512);
    } finally {
      native.close(h);
      native.close(h); // twice is fine
    }
  });
});

/** Runs an ES module script in a fresh Node process with the addon's path in ADDON; returns its stdout lines as JSON. */
function child(script: string, args: string[] = []): { status: number | null; out: unknown[]; stderr: string } {
  const run = spawnSync(process.execPath, [...args, '--input-type=module', '-e', script], {
    env: { ...process.env, ADDON: addon }, encoding: 'utf8', timeout: 15_000,
  });
  const out = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  return { status: run.status, out, stderr: run.stderr };
}

// A plain-JS echo server over the raw binding, shared by the child scripts below.
const prelude = `
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
const native = createRequire(import.meta.url)(process.env.ADDON);
const log = (x) => console.log(JSON.stringify(x));
const client = dgram.createSocket('udp4');
await new Promise((r) => client.bind(0, '127.0.0.1', r));
const replies = [];
client.on('message', (m) => replies.push(String(m)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (text, port) => new Promise((r) => client.send(text, port, '127.0.0.1', r));
`;

describe('in a child process', () => {
  it('reports a throwing callback as uncaught, sends nothing of that batch, and keeps serving', () => {
    const r = child(`${prelude}
      const errors = [];
      process.on('uncaughtException', (e) => errors.push(e.message));
      let lens;
      const h = native.open('127.0.0.1', 0, false, 0, 0, 8, 64, false, (n) => {
        // lens still holds the query lengths: if C sent after a throw, the query would echo back
        if (n === 1 && replies.length === 0 && errors.length === 0) throw new Error('boom');
        lens.fill(0, 0, n);
        lens[0] = 2;
      });
      lens = new Uint16Array(h.memory, h.lensOffset, 8);
      await send('first', h.port);
      await sleep(100);
      await send('second', h.port);
      await sleep(100);
      native.close(h);
      client.close();
      log({ errors, replies });
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toEqual([{ errors: ['boom'], replies: ['se'] }]);
  });

  it('closes the socket if JavaScript detaches the shared buffer, without touching it again', () => {
    const r = child(`${prelude}
      const errors = [];
      process.on('uncaughtException', (e) => errors.push(e.message));
      let calls = 0;
      const h = native.open('127.0.0.1', 0, false, 0, 0, 8, 64, false, (n) => {
        calls++;
        structuredClone(h.memory, { transfer: [h.memory] }); // the clone is dropped at once
        globalThis.gc();
      });
      await send('a', h.port);
      await sleep(100);
      await send('b', h.port); // the socket is closed: not delivered
      await sleep(100);
      let threw = '';
      try { native.sendTo(h, Buffer.from('x'), new Uint8Array(28)); } catch (e) { threw = e.constructor.name; }
      native.close(h);
      client.close();
      log({ calls, errors, replies, threw });
    `, ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toEqual([{ calls: 1, errors: ['udp-batch: the shared buffer was detached; socket closed'], replies: [], threw: 'RangeError' }]);
  });

  it('keeps an open socket alive without JavaScript references, and frees closed ones on GC', () => {
    const r = child(`${prelude}
      (() => {
        // Open and unref'd, then not referenced from JavaScript: must keep serving (echo).
        const h = native.open('127.0.0.1', 0, false, 0, 0, 4, 64, false, () => {});
        native.setRef(h, false);
        globalThis.port = h.port;
      })();
      for (let i = 0; i < 500; i++) native.close(native.open('127.0.0.1', 0, false, 0, 0, 64, 4096, false, () => {}));
      globalThis.gc();
      await sleep(20);
      globalThis.gc();
      await send('echo', globalThis.port);
      await sleep(100);
      client.close();
      log({ replies });
    `, ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toEqual([{ replies: ['echo'] }]);
  });

  it('closes sockets left open when a worker thread ends (terminated, or exiting unref\'d)', () => {
    const r = child(`${prelude}
      import { Worker } from 'node:worker_threads';
      const code = (unref) => \`
        const { parentPort } = require('node:worker_threads');
        const native = require(process.env.ADDON);
        const h = native.open('127.0.0.1', 0, false, 0, 0, 8, 64, false, () => {}); // echoes: lens untouched
        if (\${unref}) { native.setRef(h, false); setTimeout(() => {}, 150); } // then exits, socket open
        parentPort.postMessage(h.port);
      \`;
      const results = [];
      for (const unref of [false, true]) {
        const w = new Worker(code(unref), { eval: true, execArgv: [] });
        const exited = new Promise((r) => w.once('exit', r));
        const port = await new Promise((r) => w.once('message', r));
        await send('w' + unref, port);
        await sleep(50);
        if (!unref) await w.terminate();
        results.push(await exited);
      }
      client.close();
      log({ results, replies });
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toEqual([{ results: [1, 0], replies: ['wfalse', 'wtrue'] }]);
  });
});
