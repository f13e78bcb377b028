import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { dig, fakeUpstream, freePort, kdig, makeCertificates, parseDigAnswer, query, tlsUpstream } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run, startDnsmesh, tempFiles, type Running } from './dnsmesh-process.js';

async function waitFor(r: Running, pattern: RegExp, timeout = 8000): Promise<void> {
  const until = Date.now() + timeout;
  while (!pattern.test(r.stdout)) {
    if (Date.now() > until) throw new Error(`no ${pattern} in the log:\n${r.stdout}\n${r.stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** The certificate a TLS server at 127.0.0.1:port shows (its serial number). */
function peerSerial(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'dns.test' }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });
}

function certs() {
  const c = makeCertificates();
  onTestFinished(() => c.remove());
  return c;
}

describe('DNS over TLS listener (tls://)', () => {
  it('answers kdig +tls (CA and hostname checked) and dig +tls through the same chain as plain DNS', async () => {
    const c = certs();
    const up = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    onTestFinished(() => up.close());
    const [port, dot] = [await freePort(), await freePort()];
    const server = await startDnsmesh(
      `.:${port} {\n  bind 127.0.0.1\n  forward . ${up.address}\n}\n` +
      `tls://.:${dot} {\n  bind 127.0.0.1\n  tls ${c.cert} ${c.key}\n  cache\n  forward . ${up.address}\n}\n`);
    const k = parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(dot), '+tls', `+tls-ca=${c.ca}`, `+tls-hostname=${c.hostname}`, 'web.svc.test', 'A']));
    expect(k.status).toBe('NOERROR');
    expect(k.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    const d = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(dot), '+tls', 'web.svc.test', 'A']));
    expect(d.status).toBe('NOERROR');
    expect(d.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    expect(up.count('web.svc.test')).toBe(1); // the second came from the tls block's cache
    // A client that does not trust the certificate's issuer gets no answer (kdig checks it).
    const other = certs();
    expect(parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(dot), '+tls', `+tls-ca=${other.ca}`, `+tls-hostname=${c.hostname}`, 'web.svc.test', 'A'])).status).toBeUndefined();
    expect(server.stdout).not.toMatch(/"level":"error"/);
  });

  it('with a CA, asks for a client certificate and refuses clients without one (counted)', async () => {
    const c = certs();
    const up = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    onTestFinished(() => up.close());
    const [dot, prom] = [await freePort(), await freePort()];
    await startDnsmesh(`tls://.:${dot} {\n  bind 127.0.0.1\n  tls ${c.cert} ${c.key} ${c.ca}\n  prometheus 127.0.0.1:${prom}\n  forward . ${up.address}\n}\n`);
    const base = ['@127.0.0.1', '-p', String(dot), '+tls', `+tls-ca=${c.ca}`, `+tls-hostname=${c.hostname}`];
    const ok = parseDigAnswer(await kdig([...base, `+tls-certfile=${c.clientCert}`, `+tls-keyfile=${c.clientKey}`, 'web.svc.test', 'A']));
    expect(ok.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    // kdig reports the TLS alert and prints no reply (how it exits varies with the alert).
    const refused = await kdig([...base, 'web.svc.test', 'A']).then((out) => parseDigAnswer(out).status, (err: Error) => err.message);
    expect(refused ?? 'no reply').toMatch(/no reply|TLS/);
    const metrics = await (await fetch(`http://127.0.0.1:${prom}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`dnsmesh_tls_handshake_failures_total\\{port="${dot}"\\} [1-9]`));
    expect(up.count('web.svc.test')).toBe(1);
  });

  it('a reload reads the certificate files again: new connections get the renewed certificate', async () => {
    const c = certs();
    const up = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
    onTestFinished(() => up.close());
    const dot = await freePort();
    const server = await startDnsmesh(`tls://.:${dot} {\n  bind 127.0.0.1\n  tls server.pem server.key\n  forward . ${up.address}\n}\n`,
      { 'server.pem': c.read('server.pem').toString(), 'server.key': c.read('server.key').toString() });
    const ca = c.read('ca.pem');
    const before = await peerSerial(dot, ca);
    // A renewal: the same CA signs a new server certificate; the files are replaced in place.
    makeCertificates({ dir: c.dir, serial: 4242 });
    copyFileSync(c.cert, join(server.dir, 'server.pem'));
    copyFileSync(c.key, join(server.dir, 'server.key'));
    server.child.kill('SIGHUP');
    await waitFor(server, /"msg":"reloaded"/);
    const after = await peerSerial(dot, ca);
    expect(after).not.toBe(before);
    expect(after).toBe((4242).toString(16).toUpperCase().padStart(4, '0'));
    const k = parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(dot), '+tls', `+tls-ca=${c.ca}`, `+tls-hostname=${c.hostname}`, 'web.svc.test', 'A']));
    expect(k.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    // A broken file on reload: the running certificate keeps serving.
    writeFileSync(join(server.dir, 'server.pem'), 'not a certificate\n');
    server.child.kill('SIGHUP');
    await waitFor(server, /reload failed.*Corefile:3 - tls: 'server.pem' holds no PEM certificate/);
    expect(await peerSerial(dot, ca)).toBe(after);
  });
});

describe('forward . tls://', () => {
  it('the binary forwards over one TLS connection (tls CA, tls_servername) and counts it', async () => {
    const c = certs();
    const up = await fakeUpstream(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`n${i}.svc.test A`, { ttl: 300, data: [`10.0.1.${i}`] }])));
    const front = await tlsUpstream(up, { cert: c.read('server.pem'), key: c.read('server.key') });
    onTestFinished(async () => { await front.close(); await up.close(); });
    const [port, prom] = [await freePort(), await freePort()];
    await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${prom}\n  forward . tls://${front.address} {\n    tls ${c.ca}\n    tls_servername ${c.hostname}\n  }\n}\n`);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => query(`127.0.0.1:${port}`, `n${i}.svc.test`, 'A')));
    replies.forEach((r, i) => expect(r.answers[0]!.data).toBe(`10.0.1.${i}`));
    const d = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'n3.svc.test', 'A']));
    expect(d.status).toBe('NOERROR');
    expect(front.connections).toBe(1);
    expect(up.count(undefined, 'A')).toBe(21);
    const metrics = await (await fetch(`http://127.0.0.1:${prom}/metrics`)).text();
    expect(metrics).toMatch(/dnsmesh_forward_tls_handshakes_total\{resumed="false"\} 1\b/);
    expect(metrics).toMatch(/dnsmesh_forward_tls_errors_total 0\b/);
  });
});

describe('tls:// Corefile errors', () => {
  const cases: [string, string, RegExp][] = [
    ['without a certificate', 'tls://.:8853 {\n  forward . 127.0.0.1\n}\n', /Corefile:1 - Error during parsing: tls:\/\/ needs a certificate: add 'tls CERT KEY' to the block/],
    ['a missing file', 'tls://.:8853 {\n  tls nowhere.pem nowhere.key\n  forward . 127.0.0.1\n}\n', /Corefile:2 - tls: cannot read .*nowhere\.pem: ENOENT/],
    ['tls on a dns:// block', '.:8853 {\n  tls Corefile Corefile\n  forward . 127.0.0.1\n}\n', /Corefile:2 - tls: 'Corefile' holds no PEM certificate/],
  ];
  it.each(cases)('%s: FILE:LINE, exit non-zero, nothing bound', async (_name, corefile, want) => {
    const dir = tempFiles({ Corefile: corefile });
    const r = run(['-conf', 'Corefile'], dir);
    expect(await r.exited).not.toBe(0);
    expect(r.stderr).toMatch(want);
  });
});
