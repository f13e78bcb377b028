import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindPlugin, PluginRegistry, systemClock } from '@dnsmesh/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ORDER } from '../order.js';
import { builtinRegistry } from '../plugins.js';
import { Supervisor } from '../supervisor.js';
import { WARMUP_PASSES, WARMUP_ROUND, warmUp } from './warmup.js';

/** The kinds of handle a running server holds (sockets, servers, timers), for a before/after check. */
function handles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'FSReqCallback').sort();
}

describe('the start-up warm-up', () => {
  it('asks new names and the same names again, all answered, the repeats from the cache', async () => {
    const queries = 10 * WARMUP_ROUND;
    const r = await warmUp({ queries, registry: builtinRegistry(), clock: systemClock, udpBatch: true, timeLimit: 10_000 });
    expect(r.asked).toBe(queries);
    expect(r.answered).toBe(queries);
    // WARMUP_PASSES passes, each on a fresh server, the queries shared. In each, rounds of WARMUP_ROUND
    // new names plus the last round's again: the upstream sees each name once a pass.
    const perPass = queries / WARMUP_PASSES;
    const newNames = Math.ceil((perPass + WARMUP_ROUND) / (2 * WARMUP_ROUND)) * WARMUP_ROUND;
    expect(r.upstream).toBe(WARMUP_PASSES * newNames);
    expect(r.elapsed).toBeGreaterThan(0);
  });

  it("leaves nothing open: its server, upstream and client are closed when it returns (Node's dgram too)", async () => {
    // Closing is asynchronous for some handles (the previous test's too): give them a moment.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
    await settle();
    const before = handles();
    for (const udpBatch of [true, false]) {
      const r = await warmUp({ queries: 4 * WARMUP_ROUND, registry: builtinRegistry(), clock: systemClock, udpBatch, timeLimit: 10_000 });
      expect(r.answered).toBe(4 * WARMUP_ROUND);
    }
    await settle();
    expect(handles()).toEqual(before);
  });

  it('asks nothing once its time limit has passed', async () => {
    let now = 0;
    // The clock moves 1 s a reading: past the limit before the first round.
    const clock = { now: () => (now += 1000) };
    const r = await warmUp({ queries: 100 * WARMUP_ROUND, registry: builtinRegistry(), clock, udpBatch: true, timeLimit: 500 });
    expect(r).toMatchObject({ asked: 0, answered: 0, upstream: 0 });
  });
});

describe('a warm-up that cannot run', () => {
  it('is logged as a warning and the server starts without it', async () => {
    // A registry with `bind` alone: the warm-up's plugins are unknown to it.
    const registry = new PluginRegistry(ORDER);
    registry.register(bindPlugin);
    await expect(warmUp({ queries: 64, registry, clock: systemClock, udpBatch: true, timeLimit: 1000 })).rejects.toThrow(/^warm-up:\d+ - \w+: unknown directive/);
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-warmup-'));
    writeFileSync(join(dir, 'Corefile'), '.:0 {\n  bind 127.0.0.1\n}\n');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const supervisor = new Supervisor({ conf: join(dir, 'Corefile'), dnsPort: 0, registry, clock: systemClock, logger, warmup: 64 });
    try {
      const server = await supervisor.start();
      expect(server.port).toBeGreaterThan(0);
      expect(lines.map((l) => JSON.parse(l) as { level: number; msg: string })).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^warm-up failed, starting without it: /) }));
    } finally {
      await supervisor.stop(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
