import { query } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

describe('consul catalog mode: errors by kind', () => {
  it('a revoked token stops the view at once (SERVFAIL with EDE 18, counted), and a good token brings it back', async () => {
    const s = await sim({ acl: { tokens: { 'token-1': 'all' } } });
    const r = await resolver({ http: s.httpUrl, token: 'token-1', maxStale: 3_600_000 });
    const p = catalogPlugin(r);
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    s.revokeToken('token-1');
    s.setCheck({ node: 'n1', serviceId: 'web-1', status: 'critical' });            // the feed wakes, the read gets 403
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'SERVFAIL', 2000);
    const refused = await query(r.address, 'web.service.consul', 'A', { edns: 1232 });
    expect(refused.rcode).toBe('SERVFAIL');
    expect(refused.ede).toEqual([{ code: 18, text: 'the Consul agent refused the token (HTTP 403)' }]);
    expect(p.counts.forbidden).toBeGreaterThanOrEqual(1);
    expect(p.counts.stale).toBe(0);                                               // not served from the old view
    expect(await r.metrics.metrics()).toMatch(/dnsmesh_consul_forbidden_total [1-9]/);
    s.setToken('token-1', 'all');                                                 // the token works again
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'NOERROR', 3000);
  });

  it('an unknown token from the start: SERVFAIL with EDE 18 on the first lookup', async () => {
    const s = await sim({ acl: { tokens: { good: 'all' } } });
    const r = await resolver({ http: s.httpUrl, token: 'nope' });
    const reply = await query(r.address, 'web.service.consul', 'A', { edns: 1232 });
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.ede.map((e) => e.code)).toEqual([18]);
  });

  it('keeps answering from the views through 5xx (no servers) and counts them as stale answers', async () => {
    const s = await sim();
    const r = await resolver({ http: s.httpUrl });
    expect((await query(r.address, 'web.service.consul', 'A')).answers).toHaveLength(3);
    await s.setFailure('no_servers');
    s.bumpIndex('web');                                                           // the feed wakes into a 500
    const p = catalogPlugin(r);
    await until(() => p.counts.requests.http_5xx > 0, 2000);
    const reply = await query(r.address, 'web.service.consul', 'A');
    expect(reply.answers).toHaveLength(3);
    expect(p.counts.stale).toBeGreaterThanOrEqual(1);
  });
});
