import { createServer, manualClock, type DnsServer, type PluginInput } from '@dnsmesh/core';
import { query } from '@dnsmesh/testkit';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, capture } from '../../test/helpers.js';
import { errorsPlugin } from './index.js';
import type { ErrorsInput } from './setup.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

async function start(input: Omit<ErrorsInput, 'logger'> = {}, rest: PluginInput[] = [answer()]) {
  const out = capture();
  const logger = pino({ level: 'debug', base: undefined }, out);
  server = await createServer({ clock: manualClock(), plugins: [errorsPlugin({ ...input, logger }), ...rest] }).start();
  return { lines: out.lines, dns: server.address };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('errors', () => {
  it('logs what the chain throws, as CoreDNS words it; the client gets SERVFAIL', async () => {
    const { lines, dns } = await start();
    expect((await query(dns, 'fail.test', 'A')).rcode).toBe('SERVFAIL');
    expect(lines).toEqual([expect.objectContaining({
      level: 50, plugin: 'errors', name: 'fail.test.', type: 'A', client: '127.0.0.1', error: 'boom for fail.test.',
      msg: '2 fail.test. A: boom for fail.test.',
    })]);
  });

  it('logs a rejected promise the same way', async () => {
    const { lines, dns } = await start({ stacktrace: true }, [answer({ delay: 5 })]);
    expect((await query(dns, 'fail.test', 'AAAA')).rcode).toBe('SERVFAIL');
    expect(lines).toEqual([expect.objectContaining({ type: 'AAAA', error: 'boom for fail.test.', stack: expect.stringContaining('boom for fail.test.') })]);
  });

  it('says nothing when the chain answers, whatever the rcode', async () => {
    const { lines, dns } = await start();
    expect((await query(dns, 'nx.test', 'A')).rcode).toBe('NXDOMAIN');
    expect(lines).toEqual([]);
  });

  it('consolidates matching errors into one line per DURATION', async () => {
    const { lines, dns } = await start({ consolidate: [{ duration: 150, pattern: '^boom', level: 'warning' }] });
    for (let i = 0; i < 3; i++) expect((await query(dns, 'fail.test', 'A')).rcode).toBe('SERVFAIL');
    expect(lines).toEqual([]);
    await sleep(250);
    expect(lines).toEqual([expect.objectContaining({ level: 40, count: 3, msg: "3 errors like '^boom' occurred in last 150ms" })]);
  });

  it('with show_first, logs the first at once, and a summary only when more followed', async () => {
    const { lines, dns } = await start({ consolidate: [{ duration: 150, pattern: 'boom', showFirst: true }] });
    await query(dns, 'fail.test', 'A');
    expect(lines).toEqual([expect.objectContaining({ msg: '2 fail.test. A: boom for fail.test.' })]);
    await sleep(250);
    expect(lines).toHaveLength(1);
    await query(dns, 'fail.test', 'A');
    await query(dns, 'fail.test', 'A');
    await sleep(250);
    expect(lines.map((l) => l.msg)).toEqual([
      '2 fail.test. A: boom for fail.test.', '2 fail.test. A: boom for fail.test.', "2 errors like 'boom' occurred in last 150ms",
    ]);
  });

  it('logs errors no pattern matches at once', async () => {
    const { lines, dns } = await start({ consolidate: [{ duration: 10_000, pattern: '^timeout' }] });
    await query(dns, 'fail.test', 'A');
    expect(lines).toHaveLength(1);
  });
});
