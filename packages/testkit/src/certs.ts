import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of a small PKI made for a test: a CA, a server certificate and a client one it signed. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate (PEM path): what clients trust, and what a server checks client certificates with. */
  readonly ca: string;
  /** The server's certificate and key, for the name `hostname` and the address 127.0.0.1. */
  readonly cert: string;
  readonly key: string;
  /** A client certificate and key the CA signed (mutual TLS). */
  readonly clientCert: string;
  readonly clientKey: string;
  readonly hostname: string;
  /** Reads a file of the set. */
  read(file: string): Buffer;
  /** Removes the folder. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('/usr/bin/openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/**
 * Makes a CA and two certificates it signed with `openssl` (P-256 keys, valid 2 days) in a fresh
 * temp folder (or `dir`): the server's for `hostname` and 127.0.0.1, and a client's. A second
 * call on the same folder (`dir`) replaces the server's certificate (a renewal).
 */
export function makeCertificates(opts: { hostname?: string; dir?: string; serial?: number } = {}): TestCertificates {
  const hostname = opts.hostname ?? 'dns.test';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dnsmesh-certs-'));
  const key = (file: string): void => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
  if (opts.dir === undefined) {
    key('ca.key');
    openssl(['req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=dnsmesh test CA'], dir);
  }
  const sign = (name: string, cn: string, ext: string): void => {
    key(`${name}.key`);
    openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(opts.serial ?? Date.now()),
      '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  sign('server', hostname, `subjectAltName=DNS:${hostname},IP:127.0.0.1\nextendedKeyUsage=serverAuth`);
  sign('client', 'dnsmesh test client', 'extendedKeyUsage=clientAuth');
  return {
    dir, hostname,
    ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client.key'),
    read: (file) => readFileSync(join(dir, file)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
