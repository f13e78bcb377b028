import { cache } from '@dnsmesh/cache';
import { createServer, DnsMessage, manualClock, type DnsServer, type PluginInput, type QueryContext } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, capture } from '../../test/helpers.js';
import { errorsPlugin } from '../errors/index.js';
import { logPlugin, queryLogger } from './index.js';
import type { LogInput } from './setup.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start(input: Omit<LogInput, 'destination'> = {}, rest: PluginInput[] = [cache(), answer({ delay: 30, upstream: '127.0.0.1:5300' })]) {
  const out = capture();
  server = await createServer({ clock: manualClock(), plugins: [logPlugin({ ...input, destination: out }), ...rest] }).start();
  return { lines: out.lines, dns: server.address };
}

describe('log', () => {
  it('writes one JSON line per query with the cache decision: miss, then hit', async () => {
    const { lines, dns } = await start();
    await query(dns, 'web.test', 'A');
    await query(dns, 'Web.Test', 'A', { transport: 'tcp' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info', name: 'web.test', type: 'A', client: '127.0.0.1', proto: 'udp', rcode: 'NOERROR',
      duration_ms: 0, cache: 'miss', upstream: '127.0.0.1:5300', stored: 'stored',
    });
    expect(typeof lines[0]!.port).toBe('number');
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/); // ISO 8601, as the server's messages
    expect(lines[0]).not.toHaveProperty('pid');
    expect(lines[0]).not.toHaveProperty('hostname');
    expect(lines[1]).toMatchObject({ name: 'Web.Test', proto: 'tcp', rcode: 'NOERROR', cache: 'hit', plugin: 'cache' });
    expect(lines[1]).not.toHaveProperty('upstream');
    expect(lines[1]).not.toHaveProperty('stored');
  });

  it('says coalesced for a query that joined one already asked upstream', async () => {
    const { lines, dns } = await start();
    await Promise.all([query(dns, 'web.test', 'A'), new Promise((r) => setTimeout(r, 5)).then(() => query(dns, 'web.test', 'A'))]);
    expect(lines.map((l) => l.cache).sort()).toEqual(['coalesced', 'miss']);
  });

  it('says none when no cache is in the chain', async () => {
    const { lines, dns } = await start({}, [answer()]);
    await query(dns, 'nx.test', 'A');
    expect(lines).toEqual([expect.objectContaining({ name: 'nx.test', rcode: 'NXDOMAIN', cache: 'none' })]);
  });

  it('logs a chain that throws as SERVFAIL with the error, and the client gets SERVFAIL', async () => {
    const { lines, dns } = await start({}, [answer()]);
    expect((await query(dns, 'fail.test', 'A')).rcode).toBe('SERVFAIL');
    expect(lines).toEqual([expect.objectContaining({ name: 'fail.test', rcode: 'SERVFAIL', error: 'boom for fail.test.' })]);
  });

  it('logs only the classes asked for', async () => {
    const { lines, dns } = await start({ classes: ['denial'] }, [answer()]);
    await query(dns, 'web.test', 'A'); // success
    await query(dns, 'nx.test', 'A'); // denial (NXDOMAIN)
    await query(dns, 'empty.test', 'A'); // denial (NODATA)
    await query(dns, 'fail.test', 'A'); // error
    expect(lines.map((l) => l.name)).toEqual(['nx.test', 'empty.test']);
  });

  it('logs only names under NAMES', async () => {
    const { lines, dns } = await start({ names: ['svc.test'] }, [answer()]);
    await query(dns, 'web.svc.test', 'A');
    await query(dns, 'web.other.test', 'A');
    expect(lines.map((l) => l.name)).toEqual(['web.svc.test']);
  });

  it('keeps a synchronous answer synchronous', () => {
    const out = capture();
    const built = createServer({ clock: manualClock(), plugins: [logPlugin({ destination: out }), answer()] });
    const block = built.blocks[0]!;
    const request = DnsMessage.fromPacket({ type: 'query', id: 7, flags: 0x0100, questions: [{ name: 'a.test', type: 'A' }] });
    const ctx = { request, client: { address: '127.0.0.1', port: 1, transport: 'udp', family: 4 }, block, now: block.clock.now(), state: { cache: 'none' } } as unknown as QueryContext;
    expect(block.chain(ctx)).toBeInstanceOf(DnsMessage);
    expect(out.lines).toHaveLength(1);
  });

  it('sits beside errors: the failure is logged once by each, SERVFAIL for the client', async () => {
    const errs = capture();
    const { lines, dns } = await start({}, [errorsPlugin({ logger: queryLogger(errs) }), answer({ delay: 5 })]);
    expect((await query(dns, 'fail.test', 'A')).rcode).toBe('SERVFAIL');
    expect(lines).toHaveLength(1);
    expect(errs.lines).toHaveLength(1);
  });
});
