// The metrics CoreDNS's dashboards and alerts read, under dnsmesh_ names: build_info, panics_total,
// plugin_enabled, request/response size histograms, reload_failed_total and reload_version_info,
// the health self-check's duration. Read from a real dnsmesh process's /metrics.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every series of a metric as [labels text, value]. */
async function series(port: number, name: string): Promise<[string, number][]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => { const i = l.lastIndexOf(' '); return [l.slice(name.length, i), Number(l.slice(i + 1))]; });
}

describe('CoreDNS-compatible server metrics', () => {
  it('exposes build info, enabled plugins, sizes, reload failures and the health self-check', async () => {
    const upstream = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    onTestFinished(() => upstream.close());
    const [port, prom, health] = [await freePort(), await freePort('tcp'), await freePort('tcp')];
    const corefile = (extra: string) => `svc.test.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${prom}\n  health 127.0.0.1:${health}\n  cache\n  forward . ${upstream.address}\n${extra}}\n`;
    const server = await startDnsmesh(corefile(''));
    for (let i = 0; i < 3; i++) expect((await query(`127.0.0.1:${port}`, 'a.svc.test', 'A')).rcode).toBe('NOERROR');
    await query(`127.0.0.1:${port}`, 'a.svc.test', 'A', { transport: 'tcp' });

    expect(await series(prom, 'dnsmesh_build_info')).toEqual([[expect.stringMatching(/^\{version="\d+\.\d+\.\d+",nodeversion="v20\./), 1]]);
    expect(await series(prom, 'dnsmesh_panics_total')).toEqual([['', 0]]);
    const enabled = (await series(prom, 'dnsmesh_plugin_enabled')).map(([labels]) => /name="([^"]+)"/.exec(labels)![1]).sort();
    expect(enabled).toEqual(['bind', 'cache', 'forward', 'health', 'prometheus']);

    const count = async (metric: string, proto: string) =>
      (await series(prom, `${metric}_count`)).find(([l]) => l.includes(`proto="${proto}"`))?.[1];
    expect(await count('dnsmesh_dns_request_size_bytes', 'udp')).toBe(3);
    expect(await count('dnsmesh_dns_request_size_bytes', 'tcp')).toBe(1);
    expect(await count('dnsmesh_dns_response_size_bytes', 'udp')).toBe(3);
    // A 27-byte query for a.svc.test (no EDNS from testkit's default client): in the le="100" bucket, not in le="0".
    const buckets = await series(prom, 'dnsmesh_dns_request_size_bytes_bucket');
    expect(buckets.find(([l]) => l.includes('le="0"') && l.includes('proto="udp"'))?.[1]).toBe(0);
    expect(buckets.find(([l]) => l.includes('le="100"') && l.includes('proto="udp"'))?.[1]).toBe(3);

    // Each upstream's reply time, by rcode (one miss: the other queries were cache hits).
    expect((await series(prom, 'dnsmesh_forward_request_duration_seconds_count'))).toEqual([[expect.stringMatching(/^\{to="127\.0\.0\.1:\d+",rcode="NOERROR"\}$/), 1]]);
    expect(await series(prom, 'dnsmesh_cache_requests_total')).toEqual([[expect.any(String), 4]]);

    // The health endpoint checks itself once a second.
    const until = Date.now() + 4000;
    let checks = 0;
    while (checks === 0 && Date.now() < until) {
      await sleep(200);
      checks = (await series(prom, 'dnsmesh_health_request_duration_seconds_count'))[0]?.[1] ?? 0;
    }
    expect(checks).toBeGreaterThan(0);
    expect(await series(prom, 'dnsmesh_health_request_failures_total')).toEqual([['', 0]]);

    // A failed reload is counted and the running Corefile's hash stays.
    const [[hashLabels]] = await series(prom, 'dnsmesh_reload_version_info');
    expect(hashLabels).toMatch(/^\{hash="sha512",value="[0-9a-f]{128}"\}$/);
    expect(await series(prom, 'dnsmesh_reload_failed_total')).toEqual([['', 0]]);
    writeFileSync(join(server.dir, 'Corefile'), corefile('  cache 30\n')); // cache twice: an error
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while ((await series(prom, 'dnsmesh_reload_failed_total'))[0]![1] === 0 && Date.now() < deadline) await sleep(50);
    expect(await series(prom, 'dnsmesh_reload_failed_total')).toEqual([['', 1]]);
    expect((await series(prom, 'dnsmesh_reload_version_info'))[0]![0]).toBe(hashLabels);
  }, 20_000);
});
