import https from 'node:https';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startConsulSim } from '../sim.js';
import { makeTestCerts } from '../testing/certs.js';

const certs = makeTestCerts();
afterAll(() => certs.remove());

/** One GET over HTTPS with its own connection; resolves with the status, or rejects with the TLS error. */
function get(url: string, opts: https.RequestOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, ...opts }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
  });
}

describe('HTTPS API (tls)', () => {
  it('serves the API over TLS, verified against its CA by the name localhost', async () => {
    const s = await startConsulSim({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    onTestFinished(() => s.close());
    expect(s.httpUrl).toBe(`https://127.0.0.1:${s.httpPort}`);
    expect(await get(`https://localhost:${s.httpPort}/v1/catalog/services`, { ca: certs.ca })).toBe(200);
    await expect(get(`https://localhost:${s.httpPort}/v1/catalog/services`)).rejects.toThrow(/self[- ]signed|unable to verify|local issuer/i);
  });

  it('with verify_incoming, refuses a client without a certificate and serves one with a certificate of its CA', async () => {
    const { readFileSync } = await import('node:fs');
    const s = await startConsulSim({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, verify_incoming: true } });
    onTestFinished(() => s.close());
    const url = `https://localhost:${s.httpPort}/v1/catalog/services`;
    await expect(get(url, { ca: certs.ca })).rejects.toThrow();
    expect(await get(url, { ca: certs.ca, cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) })).toBe(200);
  });
});
