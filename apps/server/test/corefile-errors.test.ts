import net from 'node:net';
import { freePort } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { run, tempFiles } from './dnsmesh-process.js';

/** True when nothing listens on the TCP port (so no socket was bound). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('a bad Corefile', () => {
  const cases: [string, (port: number) => Record<string, string>, RegExp][] = [
    ['unknown directive', (p) => ({ Corefile: `.:${p} {\n  bind 127.0.0.1\n  frobnicate\n}\n` }), /^Corefile:3 - frobnicate: unknown directive 'frobnicate'/m],
    ['bad argument', (p) => ({ Corefile: `.:${p} {\n  cache 0\n}\n` }), /^Corefile:2 - cache: expected an integer/m],
    ['bad property', (p) => ({ Corefile: `.:${p} {\n  cache {\n    success\n  }\n}\n` }), /^Corefile:3 - cache: success takes 1 to 3 arguments, got 0/m],
    ['unclosed block', (p) => ({ Corefile: `.:${p} {\n  cache 30\n` }), /^Corefile:1 - Error during parsing: .*/m],
    ['forward to a non-address', (p) => ({ Corefile: `.:${p} {\n  forward . not-an-ip\n}\n` }), /^Corefile:2 - forward: /m],
    ['error inside an import', (p) => ({ Corefile: `.:${p} {\n  import extra.conf\n}\n`, 'extra.conf': '# comment\ncache -1\n' }), /^extra\.conf:2 - cache: /m],
    ['duplicate zone and port', (p) => ({ Corefile: `.:${p} {\n}\n.:${p} {\n}\n` }), /^Corefile:3 - /m],
    ['directive used twice', (p) => ({ Corefile: `.:${p} {\n  cache 30\n  forward . 127.0.0.1:9\n  cache 60\n}\n` }), /^Corefile:4 - cache: this plugin can only be used once per server block \(first at Corefile:2\)/m],
    ['bad server key', () => ({ Corefile: 'tls://example.org {\n}\n' }), /^Corefile:1 - Error during parsing: .*tls/m],
    ['bad rewrite edns0 subnet', (p) => ({ Corefile: `.:${p} {\n  rewrite continue edns0 local set 0xffee abcd\n  rewrite edns0 subnet set 33 56\n}\n` }), /^Corefile:3 - rewrite: bad IPv4 prefix length '33' \(0 to 32\)/m],
    ['bad template ederror', (p) => ({ Corefile: `.:${p} {\n  template IN A {\n    ederror blocked\n  }\n}\n` }), /^Corefile:3 - template: bad extended DNS error code 'blocked'/m],
    ['bad loadbalance prefer', (p) => ({ Corefile: `.:${p} {\n  loadbalance {\n    prefer 10.1.0.0/8\n  }\n}\n` }), /^Corefile:3 - loadbalance: prefer: '10\.1\.0\.0\/8' has host bits set/m],
  ];
  it.each(cases)('%s: exits non-zero with FILE:LINE and binds nothing', async (_what, files, message) => {
    const port = await freePort();
    const dir = tempFiles(files(port));
    const r = run(['-conf', 'Corefile'], dir);
    const code = await r.exited;
    expect(code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(await portIsFree(port)).toBe(true);
  });

  it('a missing Corefile is named', async () => {
    const dir = tempFiles({});
    const r = run(['-conf', 'nope.conf'], dir);
    expect(await r.exited).not.toBe(0);
    expect(r.stderr).toContain('nope.conf');
  });
});

describe('flags', () => {
  it('-version and -plugins', async () => {
    const dir = tempFiles({});
    const v = run(['-version'], dir);
    expect(await v.exited).toBe(0);
    expect(v.stdout).toMatch(/^dnsmesh-\d+\.\d+\.\d+/);
    const p = run(['--plugins'], dir);
    expect(await p.exited).toBe(0);
    const names = p.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    expect(names.indexOf('cache')).toBeLessThan(names.indexOf('forward'));
    expect(names).toContain('tcp_retry');
  });

  it('an unknown flag exits 2 with usage', async () => {
    const r = run(['-bogus'], tempFiles({}));
    expect(await r.exited).toBe(2);
    expect(r.stderr).toContain('Usage');
  });
});
