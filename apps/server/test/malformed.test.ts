import { buildQuery, fakeUpstream, freePort, query, queryRaw } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

describe('malformed queries against the binary', () => {
  it('answer FORMERR or are dropped, NOTIMP for other opcodes, and the server keeps answering', async () => {
    const upstream = await fakeUpstream({ 'ok.test A': { ttl: 30, data: ['192.0.2.1'] } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    await startDnsmesh(`test.:${port} {\n  bind 127.0.0.1\n  forward . ${upstream.address}\n}\n`);
    const address = `127.0.0.1:${port}`;
    const good = buildQuery('ok.test', 'A');
    const rcode = (b: Buffer | undefined) => (b === undefined ? 'dropped' : b[3]! & 0x0f);

    const twoQuestions = Buffer.from(good); twoQuestions.writeUInt16BE(2, 4);
    const longLabel = Buffer.from(good); longLabel[12] = 64;
    const loop = Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(rcode(await queryRaw(address, twoQuestions))).toBe(1);
    expect(rcode(await queryRaw(address, longLabel))).toBe(1);
    expect(rcode(await queryRaw(address, loop))).toBe(1);
    expect(rcode(await queryRaw(address, Buffer.from([0xab, 0xcd, 1]), { timeout: 300 }))).toBe('dropped');
    const notify = Buffer.from(good); notify[2] = (notify[2]! & 0x87) | (4 << 3);
    expect(rcode(await queryRaw(address, notify))).toBe(4);
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + ((i * 7) % 300) }, (_, j) => (i * 31 + j * 17) & 255));
      await queryRaw(address, junk, { timeout: 20 });
    }
    // Over TCP too: a frame of garbage, then a good query on a new connection.
    await queryRaw(address, Buffer.from('garbage garbage garbage'), { transport: 'tcp', timeout: 300 });
    const reply = await query(address, 'ok.test', 'A');
    expect(reply.answers[0]).toMatchObject({ data: '192.0.2.1' });
    expect((await query(address, 'ok.test', 'A', { transport: 'tcp' })).answers).toHaveLength(1);
  });
});
