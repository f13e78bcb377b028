// Certificates for TLS tests, made with the `openssl` binary in a fresh temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths and PEM text of a CA, a server certificate for localhost/127.0.0.1/::1, and a client certificate. */
export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A second CA that signed nothing here: trusting only it must fail verification. */
  readonly otherCaFile: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Removes the directory. */
  remove(): void;
}

/** Runs openssl (a few hundred ms); `serverName` goes into the server certificate's CN and SAN. */
export function makeTestCerts(serverName = 'localhost'): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'consul-sim-certs-'));
  const p = (f: string): string => join(dir, f);
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  const ca = (name: string): void => {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`));
  };
  ca('ca');
  ca('other-ca');
  const leaf = (name: string, cn: string, ext: string): void => {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`));
  };
  leaf('server', serverName, `subjectAltName=DNS:${serverName},DNS:server.dc1.consul,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'client.dc1.consul', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: p('ca.pem'), serverCertFile: p('server.pem'), serverKeyFile: p('server.key'),
    clientCertFile: p('client.pem'), clientKeyFile: p('client.key'), otherCaFile: p('other-ca.pem'),
    ca: readFileSync(p('ca.pem'), 'utf8'), serverCert: readFileSync(p('server.pem'), 'utf8'), serverKey: readFileSync(p('server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
