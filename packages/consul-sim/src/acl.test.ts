import { describe, expect, it, onTestFinished } from 'vitest';
import type { AclOptions } from './options.js';
import { startConsulSim } from './sim.js';
import { udp } from './testing/dig.js';

const acl: AclOptions = { tokens: { root: 'all', 'web-reader': ['web'] } };

async function sim(a: AclOptions = acl) {
  const s = await startConsulSim({ acl: a });
  onTestFinished(() => s.close());
  s.registerNode({ name: 'n1', address: '10.0.1.1' });
  s.registerService({ id: 'web-1', name: 'web', node: 'n1', port: 80 });
  s.registerService({ id: 'db-1', name: 'db', node: 'n1', port: 5432 });
  return s;
}

describe('ACL mode', () => {
  it('refuses an unknown token with 403 "ACL not found", wherever it comes from', async () => {
    const s = await sim();
    const inits: RequestInit[] = [{ headers: { 'X-Consul-Token': 'bogus' } }, { headers: { Authorization: 'Bearer bogus' } }];
    for (const init of inits) {
      const r = await fetch(`${s.httpUrl}/v1/health/service/web`, init);
      expect([r.status, await r.text()]).toEqual([403, 'ACL not found']);
    }
    expect((await fetch(`${s.httpUrl}/v1/health/service/web?token=bogus`)).status).toBe(403);
  });

  it('reads with a token from the X-Consul-Token header, ?token= or a bearer', async () => {
    const s = await sim();
    const viaHeader = await fetch(`${s.httpUrl}/v1/health/service/web`, { headers: { 'X-Consul-Token': 'web-reader' } });
    expect(viaHeader.status).toBe(200);
    expect(await viaHeader.json()).toHaveLength(1);
    expect(await (await fetch(`${s.httpUrl}/v1/health/service/web?token=web-reader`)).json()).toHaveLength(1);
    expect(await (await fetch(`${s.httpUrl}/v1/health/service/web`, { headers: { Authorization: 'Bearer root' } })).json()).toHaveLength(1);
  });

  it('filters what a token may not read instead of failing, and says so', async () => {
    const s = await sim();
    const db = await fetch(`${s.httpUrl}/v1/health/service/db`, { headers: { 'X-Consul-Token': 'web-reader' } });
    expect(db.status).toBe(200);
    expect(await db.json()).toEqual([]);
    expect(db.headers.get('x-consul-results-filtered-by-acls')).toBe('true');
    const services = await fetch(`${s.httpUrl}/v1/catalog/services`, { headers: { 'X-Consul-Token': 'web-reader' } });
    expect(await services.json()).toEqual({ web: [] });
    // No token is the anonymous token, which reads nothing.
    expect(await (await fetch(`${s.httpUrl}/v1/health/service/web`)).json()).toEqual([]);
  });

  it('needs agent:read (an "all" token) for /v1/agent/self', async () => {
    const s = await sim();
    const denied = await fetch(`${s.httpUrl}/v1/agent/self`, { headers: { 'X-Consul-Token': 'web-reader' } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/^Permission denied: .*agent:read/);
    expect((await fetch(`${s.httpUrl}/v1/agent/self`, { headers: { 'X-Consul-Token': 'root' } })).status).toBe(200);
  });

  it('answers DNS with the dns token, else the default token, else nothing', async () => {
    const anonymous = await sim();
    expect((await udp(anonymous.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    const dns = await sim({ ...acl, dns_token: 'web-reader' });
    expect((await udp(dns.dnsAddress, 'web.service.consul', 'A')).rcode).toBe('NOERROR');
    expect((await udp(dns.dnsAddress, 'db.service.consul', 'A')).rcode).toBe('NXDOMAIN');
    const byDefault = await sim({ ...acl, default_token: 'root' });
    expect((await udp(byDefault.dnsAddress, 'db.service.consul', 'A')).rcode).toBe('NOERROR');
    expect(await (await fetch(`${byDefault.httpUrl}/v1/health/service/db`)).json()).toHaveLength(1);
  });
});
