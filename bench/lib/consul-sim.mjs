#!/usr/bin/env node
// The `consul` scenario's upstream: the Consul simulator (@dnsmesh/consul-sim) in a process of its
// own, pinned to the client core (the pattern of bench/upstream.mjs and lib/slow-upstream.mjs).
//
// Child side (run as a script, with an IPC channel): starts the simulator with
// `dns_config: { enable_truncate: true }` and the demo catalog (web: 40 instances, api: 3, db: 1
// passing + 1 critical) plus `cache` (2) and `queue` (3), then sends { ready: true, dnsPort, httpPort }.
// It answers { cmd: 'count', id } with { id, dns_queries, dns_queries_udp, dns_queries_tcp,
// rpc_health_service_nodes, http_requests, http_by_path } (counters since start).
// Harness side: startConsulSimProc() starts it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** Starts this file as the simulator process; returns { dnsPort, httpPort, count(), cpu(), stop() }. */
export async function startConsulSimProc() {
  const { spawnPinned, stop, cpuSeconds } = await import('./procs.mjs');
  const { CLIENT_CPU } = await import('./servers.mjs');
  const child = spawnPinned(CLIENT_CPU, process.execPath, [SELF], { ipc: true, label: 'consul-sim' });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consul-sim not ready:\n${child.err}`)), 15000);
    child.once('message', (m) => { clearTimeout(timer); resolve(m); });
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`consul-sim exited:\n${child.err}`)); });
  });
  let seq = 0;
  return {
    label: 'consul-sim', child, pid: child.pid,
    dnsPort: ready.dnsPort, httpPort: ready.httpPort, port: ready.dnsPort,
    cpu: () => cpuSeconds(child.pid),
    /** The simulator's counters since start. */
    count() {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const on = (m) => { if (m.id === id) { clearTimeout(timer); child.off('message', on); resolve(m); } };
        const timer = setTimeout(() => { child.off('message', on); reject(new Error('consul-sim did not report its counters')); }, 5000);
        child.on('message', on);
        child.send({ cmd: 'count', id });
      });
    },
    stop: () => stop(child),
  };
}

// Run as a script (the child): serve.
if (process.argv[1] !== undefined && join(process.argv[1]) === SELF && process.send !== undefined) {
  const { startConsulSim, loadDemo } = await import('@dnsmesh/consul-sim');
  const sim = await startConsulSim({ dns_config: { enable_truncate: true } });
  loadDemo(sim);
  sim.addBigService('cache', 2, { port: 6379 });
  sim.addBigService('queue', 3, { port: 5672 });
  process.on('message', async (msg) => {
    if (msg?.cmd === 'count') {
      const c = sim.counters;
      process.send({
        id: msg.id,
        dns_queries: c.dns_queries, dns_queries_udp: c.dns_queries_udp, dns_queries_tcp: c.dns_queries_tcp,
        rpc_health_service_nodes: c.rpc_health_service_nodes,
        http_requests: c.http_requests.total, http_by_path: { ...c.http_requests.by_path },
      });
    } else if (msg?.cmd === 'close') {
      await sim.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => { sim.close().finally(() => process.exit(0)); }); // never outlive the harness
  process.on('SIGTERM', () => { sim.close().finally(() => process.exit(0)); });
  process.send({ ready: true, dnsPort: sim.dnsPort, httpPort: sim.httpPort });
}
