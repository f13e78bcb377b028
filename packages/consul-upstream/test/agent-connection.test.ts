import { mkdtempSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts } from '@dnsmesh/consul-sim';
import { query, type Reply } from '@dnsmesh/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogPlugin, resolver, sim, until } from './helpers.js';

const addresses = (r: Reply): string[] => r.answers.map((a) => String(a.data)).sort();
const certs = makeTestCerts('localhost');
const scratch = mkdtempSync(join(tmpdir(), 'consul-upstream-'));
afterAll(() => { certs.remove(); rmSync(scratch, { recursive: true, force: true }); });

describe('consul catalog mode: the agent connection', () => {
  it('reads the agent over HTTPS, named localhost (getaddrinfo, /etc/hosts), verified against ca_file', async () => {
    const s = await sim({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const r = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { caFile: certs.caFile } });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(s.counters.http_requests.by_path['/v1/health/service/web']).toBeGreaterThanOrEqual(1);
  });

  it('takes the CA from ca_path (every .pem and .crt in the directory)', async () => {
    const dir = join(scratch, 'cas');
    mkdirSync(dir);
    copyFileSync(certs.otherCaFile, join(dir, 'a-other.pem'));
    copyFileSync(certs.caFile, join(dir, 'b-ours.crt'));
    const s = await sim({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const r = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { caPath: dir } });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toHaveLength(3);
  });

  it('refuses an agent whose certificate its CA did not sign (SERVFAIL, an error counted), unless insecure_skip_verify', async () => {
    const s = await sim({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const strict = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { caFile: certs.otherCaFile } });
    expect((await query(strict.address, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
    expect(catalogPlugin(strict).counts.requests.error).toBeGreaterThanOrEqual(1);
    expect(s.counters.http_requests.total).toBe(0);
    const insecure = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { insecureSkipVerify: true } });
    expect(addresses(await query(insecure.address, 'web.service.consul', 'A'))).toHaveLength(3);
  });

  it('checks the certificate against tls_servername instead of the URL\'s host', async () => {
    const s = await sim({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const good = await resolver({ http: `https://127.0.0.1:${s.httpPort}`, tls: { caFile: certs.caFile, serverName: 'server.dc1.consul' } });
    expect(addresses(await query(good.address, 'web.service.consul', 'A'))).toHaveLength(3);
    const wrong = await resolver({ http: `https://127.0.0.1:${s.httpPort}`, tls: { caFile: certs.caFile, serverName: 'other.dc1.consul' } });
    expect((await query(wrong.address, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
  });

  it('shows its client certificate to an agent with verify_incoming (mTLS); without one the agent refuses it', async () => {
    const s = await sim({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, verify_incoming: true } });
    const mtls = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
    expect(addresses(await query(mtls.address, 'web.service.consul', 'A'))).toHaveLength(3);
    const plain = await resolver({ http: `https://localhost:${s.httpPort}`, tls: { caFile: certs.caFile } });
    expect((await query(plain.address, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
  });

  it('reads token_file again when it changes: a rotated token keeps the answers coming', async () => {
    const s = await sim({ acl: { tokens: { 'token-1': 'all' } } });
    const file = join(scratch, 'token');
    writeFileSync(file, 'token-1\n');
    const r = await resolver({ http: s.httpUrl, tokenFile: file });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toHaveLength(3);
    s.setToken('token-2', 'all');
    writeFileSync(file, 'token-2\n');
    s.revokeToken('token-1');
    s.deregisterService('web-3');                    // the next reads must carry token-2
    await until(async () => addresses(await query(r.address, 'web.service.consul', 'A')).length === 2, 3000);
    expect(catalogPlugin(r).counts.requests.forbidden).toBe(0);
  });

  it('is not ready until the agent has answered once', async () => {
    const s = await sim();
    await s.setFailure('down');
    const r = await resolver({ http: s.httpUrl });
    const p = catalogPlugin(r);
    await until(() => p.counts.requests.error > 0);
    expect(p.ready()).toBe(false);
    expect(r.server.notReady()).toContain('consul');
    await s.up();
    await until(() => p.ready(), 3000);
    expect(r.server.notReady()).not.toContain('consul');
  });
});

describe('consul catalog mode: stale reads', () => {
  it('with no leader, answers a name never asked before (?stale by default)', async () => {
    const s = await sim();
    await s.setFailure('no_leader');
    const r = await resolver({ http: s.httpUrl });
    expect(addresses(await query(r.address, 'web.service.consul', 'A'))).toHaveLength(3);
    s.deregisterService('web-1');                    // changes still come, through the stale feed
    await until(async () => addresses(await query(r.address, 'web.service.consul', 'A')).length === 2, 2000);
  });

  it('with consistency default, a new name gets SERVFAIL while there is no leader (the leader must answer)', async () => {
    const s = await sim();
    await s.setFailure('no_leader');
    const r = await resolver({ http: s.httpUrl, consistency: 'default' });
    expect((await query(r.address, 'web.service.consul', 'A')).rcode).toBe('SERVFAIL');
    expect(catalogPlugin(r).counts.requests.http_5xx).toBeGreaterThanOrEqual(1);
    await s.clearFailure('no_leader');
    await until(async () => (await query(r.address, 'web.service.consul', 'A')).rcode === 'NOERROR', 3000);
  });
});
