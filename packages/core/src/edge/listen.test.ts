import cluster from 'node:cluster';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchUdpListener, loadBatchTransport } from './batch-listener.js';
import type { Edge } from './edge.js';
import { listenOn, sharedWithWorkers } from './listen.js';

const batch = await loadBatchTransport();
type Roles = { isWorker: boolean; isPrimary: boolean };
const roles = cluster as unknown as Roles;
const was: Roles = { isWorker: cluster.isWorker, isPrimary: cluster.isPrimary };
/** As a worker of `-workers N` sees it; the listeners (and net) read these when they bind. */
function asWorker(): void {
  roles.isWorker = true;
  roles.isPrimary = false;
}
afterEach(() => {
  Object.assign(roles, was);
});

describe('listeners in a worker of -workers N', () => {
  it('share a configured port with the other workers, never port 0', () => {
    expect([sharedWithWorkers(53, true), sharedWithWorkers(0, true), sharedWithWorkers(53, false), sharedWithWorkers(0, false)])
      .toEqual([true, false, false, false]);
  });

  // With SO_REUSEPORT the kernel may hand a port-0 bind a port another socket of the same user holds
  // (about one in 25 of 3,000 binds): a worker's private listener (its start-up warm-up's) would
  // then get another worker's queries, or, on a service port in the ephemeral range, clients'.
  it('give every batched UDP listener on port 0 a port of its own (400 of them)', async () => {
    expect(batch).toBeDefined();
    asWorker();
    const edge = {} as Edge; // listen() binds only
    const listeners = Array.from({ length: 400 }, () => new BatchUdpListener(edge, '127.0.0.1', 0, batch!));
    try {
      for (const l of listeners) await l.listen();
      expect(new Set(listeners.map((l) => l.address.port)).size).toBe(400);
    } finally {
      await Promise.all(listeners.map((l) => l.close()));
    }
  });

  // A shared TCP port is the primary's (the worker asks it over IPC); port 0 binds in the worker itself.
  it('bind a TCP listener on port 0 in the worker itself, without the primary', async () => {
    asWorker();
    const server = net.createServer();
    try {
      await listenOn(server, 0, '127.0.0.1');
      expect((server.address() as net.AddressInfo).port).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
