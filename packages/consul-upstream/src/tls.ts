import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How the plugin checks the agent's certificate and shows its own (mTLS). PEM text, read at setup. */
export interface TlsSettings {
  /** CA certificates that the agent's certificate must chain to; undefined: Node's default roots. */
  readonly ca: readonly string[] | undefined;
  /** Client certificate and key (Consul's `verify_incoming`); both or neither. */
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** The name checked against the agent's certificate (and sent as SNI) instead of the URL's host. */
  readonly serverName: string | undefined;
  /** Accept any certificate (tests and emergencies only; a warning is logged at start). */
  readonly insecureSkipVerify: boolean;
}

/** What the Corefile and code give: file paths. */
export interface TlsFiles {
  readonly caFile?: string;
  readonly caPath?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify?: boolean;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Thrown with the option it is about, so the Corefile error points at that line. */
export class TlsError extends Error {
  constructor(readonly option: keyof TlsFiles, message: string) { super(message); }
}

/**
 * Reads the files once, at setup: every certificate of `ca_file` and of the `.pem`/`.crt` files
 * in `ca_path` (as Consul's own `ca_path` does), the client certificate and its key.
 */
export function loadTls(f: TlsFiles): TlsSettings {
  const read = (option: keyof TlsFiles, path: string): string => {
    try { return readFileSync(path, 'utf8'); } catch (err) { throw new TlsError(option, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); }
  };
  const certsOf = (option: keyof TlsFiles, path: string): string[] => {
    const certs = read(option, path).match(PEM_CERT) ?? [];
    if (certs.length === 0) throw new TlsError(option, `${path} holds no PEM certificate`);
    return certs;
  };
  let ca: string[] | undefined;
  if (f.caFile !== undefined) ca = certsOf('caFile', f.caFile);
  if (f.caPath !== undefined) {
    let names: string[];
    try {
      if (!statSync(f.caPath).isDirectory()) throw new TlsError('caPath', `${f.caPath} is not a directory`);
      names = readdirSync(f.caPath).filter((n) => /\.(pem|crt)$/i.test(n)).sort();
    } catch (err) {
      if (err instanceof TlsError) throw err;
      throw new TlsError('caPath', `cannot read ${f.caPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const found = names.flatMap((n) => read('caPath', join(f.caPath!, n)).match(PEM_CERT) ?? []);
    if (found.length === 0) throw new TlsError('caPath', `${f.caPath} holds no .pem or .crt certificate`);
    ca = [...(ca ?? []), ...found];
  }
  if ((f.certFile === undefined) !== (f.keyFile === undefined)) {
    throw new TlsError(f.certFile === undefined ? 'certFile' : 'keyFile', 'cert_file and key_file go together (the client certificate and its key)');
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (f.certFile !== undefined && f.keyFile !== undefined) {
    cert = certsOf('certFile', f.certFile).join('\n');
    key = read('keyFile', f.keyFile);
    if (!PEM_KEY.test(key)) throw new TlsError('keyFile', `${f.keyFile} holds no PEM private key`);
  }
  if (f.serverName !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(f.serverName)) {
    throw new TlsError('serverName', `tls_servername '${f.serverName}' is not a host name`);
  }
  return { ca, cert, key, serverName: f.serverName, insecureSkipVerify: f.insecureSkipVerify ?? false };
}
