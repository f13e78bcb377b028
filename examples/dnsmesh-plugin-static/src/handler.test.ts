import { createServer, parseCorefile } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createStatic, parse } from './index.js';

describe('static', () => {
  it('answers listed names locally and passes the rest on', async () => {
    const upstream = await fakeUpstream({ 'api.svc.test A': { ttl: 30, data: ['10.9.9.9'] } });
    const options = parse(parseCorefile('svc.test.:53 {\n  static {\n    web.svc.test 10.0.0.7 fd00::7\n  }\n}\n', 'Corefile')[0]!.directives[0]!);
    const server = await createServer({ zones: ['svc.test.'], port: 0, plugins: [(block) => createStatic(options, block), forward({ to: [upstream.address] })] }).start();
    onTestFinished(async () => { await Promise.all([server.stop(0), upstream.close()]); });
    const a = await query(server.address, 'Web.svc.test', 'A');
    expect([a.flags.aa, a.questions[0]!.name, a.answers.map((r) => [r.ttl, r.data])]).toEqual([true, 'Web.svc.test', [[60, '10.0.0.7']]]);
    expect((await query(server.address, 'web.svc.test', 'AAAA')).answers.map((r) => r.data)).toEqual(['fd00::7']);
    expect((await query(server.address, 'api.svc.test', 'A')).answers.map((r) => r.data)).toEqual(['10.9.9.9']);
    expect(upstream.queries.map((q) => q.name)).toEqual(['api.svc.test']);
  });
});
