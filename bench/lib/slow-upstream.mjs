#!/usr/bin/env node
// The `stale` scenario's upstream: the testkit fake upstream in a process of its own (as
// bench/upstream.mjs), every answer delayed, with a short TTL, and a switch that makes it go dark.
//
// Child side (run as a script, with an IPC channel and a JSON spec in argv[2]):
//   { zone: 'bench.example', names: 20, ttl: 3, delay: 3000 }
// It sends { ready: true, port } once listening and answers
//   { cmd: 'count', id }        with { id, zone, other }: queries received since start, for the
//                               zone's names and for anything else (forward's health probes);
//   { cmd: 'blackhole', on, id } with { id, ok: true }: from then on queries are counted, never answered.
// Harness side: startSlowUpstream(spec) starts it pinned to the client core.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** Starts this file as the upstream process; returns { port, count(), blackhole(on), cpu(), stop() }. */
export async function startSlowUpstream(spec) {
  const { spawnPinned, stop, cpuSeconds } = await import('./procs.mjs');
  const { CLIENT_CPU } = await import('./servers.mjs');
  const child = spawnPinned(CLIENT_CPU, process.execPath, [SELF, JSON.stringify(spec)], { ipc: true, label: 'slow upstream' });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slow upstream not ready:\n${child.err}`)), 15000);
    child.once('message', (m) => { clearTimeout(timer); resolve(m.port); });
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`slow upstream exited:\n${child.err}`)); });
  });
  let seq = 0;
  const ask = (msg) => {
    const id = ++seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.off('message', on); reject(new Error(`slow upstream did not answer ${msg.cmd}`)); }, 5000);
      const on = (m) => { if (m.id === id) { clearTimeout(timer); child.off('message', on); resolve(m); } };
      child.on('message', on);
      child.send({ ...msg, id });
    });
  };
  return {
    label: 'slow upstream', child, port, pid: child.pid,
    address: `127.0.0.1:${port}`,
    cpu: () => cpuSeconds(child.pid),
    /** { zone, other }: queries received since start. */
    count: () => ask({ cmd: 'count' }),
    blackhole: (on = true) => ask({ cmd: 'blackhole', on }),
    stop: () => stop(child),
  };
}

// Run as a script (the child): serve.
if (process.argv[1] !== undefined && join(process.argv[1]) === SELF && process.send !== undefined) {
  const { fakeUpstream } = await import('@dnsmesh/testkit');
  const spec = JSON.parse(process.argv[2] ?? '{}');
  const zone = spec.zone ?? 'bench.example';
  const table = {};
  for (let i = 0; i < (spec.names ?? 20); i++) {
    table[`n${i}.${zone} A`] = { ttl: spec.ttl ?? 3, data: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] };
  }
  const upstream = await fakeUpstream(table, { delay: spec.delay ?? 3000, soa: { zone, ttl: 60, minimum: 60 } });
  const suffix = `.${zone}`.toLowerCase();
  let inZone = 0;
  let other = 0;
  const fold = () => {
    for (const q of upstream.queries) { if (q.name.toLowerCase().endsWith(suffix)) inZone++; else other++; }
    upstream.reset();
  };
  const timer = setInterval(fold, 200);
  process.on('message', async (msg) => {
    if (msg?.cmd === 'count') {
      fold();
      process.send({ id: msg.id, zone: inZone, other });
    } else if (msg?.cmd === 'blackhole') {
      upstream.blackhole(msg.on !== false);
      process.send({ id: msg.id, ok: true });
    } else if (msg?.cmd === 'close') {
      clearInterval(timer);
      await upstream.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0)); // the harness went away: never outlive it
  process.send({ ready: true, port: upstream.port });
}
