// One NSD (the authority), Unbound (the reference cache) and dnsmesh (cache + forward), all on
// loopback, started once per test file; and the exchange of one variant with both caches.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, queryRaw, startNsd, startUnbound, type Daemon, type Nsd } from '@dnsmesh/testkit';
import { MAIN } from '../dnsmesh-process.js';
import type { Variant } from './variants.js';
import { conformanceZones } from './zones.js';

export interface Servers {
  nsd: Nsd;
  unbound: Daemon;
  dnsmesh: { address: string; port: number; metricsPort: number; output(): string; stop(): Promise<void> };
  stop(): Promise<void>;
}

/** dnsmesh as the conformance suite runs it: a cache in front of `forward` to NSD, TC retried over TCP. */
export function dnsmeshCorefile(port: number, upstream: string, metricsPort: number): string {
  return `.:${port} {
    bind 127.0.0.1
    prometheus 127.0.0.1:${metricsPort}
    cache
    tcp_retry
    forward . ${upstream}
}
`;
}

async function startDnsmeshProcess(upstream: string): Promise<Servers['dnsmesh']> {
  const port = await freePort();
  const metricsPort = await freePort('tcp');
  const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-conformance-'));
  writeFileSync(join(dir, 'Corefile'), dnsmeshCorefile(port, upstream, metricsPort));
  const child = spawn(process.execPath, [MAIN, '-conf', 'Corefile'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dnsmesh did not start in 10 s:\n${output}`)), 10_000);
      const check = () => { if (/dnsmesh-\d/.test(output)) { clearTimeout(timer); resolve(); } };
      child.stdout!.on('data', check);
      check();
      void exited.then(() => { clearTimeout(timer); reject(new Error(`dnsmesh exited:\n${output}`)); });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `127.0.0.1:${port}`, port, metricsPort, output: () => output, stop };
}

export async function startServers(): Promise<Servers> {
  // NSD as it ships (minimal-responses no): positive answers carry the zone's NS and glue, which a cache
  // must pass on or drop whole, never rewrite.
  const nsd = await startNsd({ zones: await conformanceZones(), minimalResponses: false });
  let unbound: Daemon | undefined;
  try {
    // Unbound as it ships but for the forward (minimal-responses yes, its default; non-validating, like dnsmesh).
    // incoming-num-tcp: Unbound's default of 10 TCP clients per thread is below the suite's concurrency.
    unbound = await startUnbound({ forwardTo: nsd.address, probe: 'example.', options: ['incoming-num-tcp: 64'] });
    const dnsmesh = await startDnsmeshProcess(nsd.address);
    return {
      nsd, unbound, dnsmesh,
      async stop() { await Promise.all([dnsmesh.stop(), unbound!.stop(), nsd.stop()]); },
    };
  } catch (err) {
    await Promise.all([unbound?.stop(), nsd.stop()]);
    throw err;
  }
}

/** How long to wait for a reply: past dnsmesh's and Unbound's own upstream give-up times. */
export const REPLY_TIMEOUT = 6000;

/** TCP connections open at once per server: well under Unbound's and dnsmesh's per-client caps. */
const TCP_AT_ONCE = 12;
const tcpOpen = new Map<string, number>();
const tcpWaiting = new Map<string, (() => void)[]>();

/** Sends a variant's query to one server; the raw reply, or undefined when none came. */
export async function exchange(address: string, v: Variant, id: number, timeout = REPLY_TIMEOUT): Promise<Buffer | undefined> {
  if (v.transport === 'udp') return queryRaw(address, v.bytes(id), { transport: 'udp', timeout }).catch(() => undefined);
  while ((tcpOpen.get(address) ?? 0) >= TCP_AT_ONCE) {
    await new Promise<void>((resolve) => tcpWaiting.set(address, [...(tcpWaiting.get(address) ?? []), resolve]));
  }
  tcpOpen.set(address, (tcpOpen.get(address) ?? 0) + 1);
  try {
    return await queryRaw(address, v.bytes(id), { transport: 'tcp', timeout }).catch(() => undefined);
  } finally {
    tcpOpen.set(address, tcpOpen.get(address)! - 1);
    tcpWaiting.get(address)?.shift()?.();
  }
}

/** Runs `tasks` with at most `bound` in flight. */
export async function bounded<T>(tasks: (() => Promise<T>)[], bound: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(bound, tasks.length) }, worker));
  return results;
}
