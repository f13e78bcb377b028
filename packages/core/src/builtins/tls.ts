import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Property, Token } from '../corefile/index.js';
import type { UpstreamTls } from '../upstream/address.js';
import type { TlsSettings } from '../edge/tls-settings.js';
import { definePlugin } from '../plugin.js';

/** What a PEM file holds. */
export type PemKind = 'certificate' | 'private key' | 'CA certificate';

/**
 * Reads one PEM file named by a Corefile token (a relative path is taken from the Corefile's
 * folder, as CoreDNS does) and checks that it parses as `kind`, so a wrong file fails the load at
 * its line (and a reload with a broken file keeps the running one). Throws FILE:LINE errors.
 */
export function readPemFile(t: Token, kind: PemKind): Buffer {
  const path = resolve(dirname(t.file), t.text);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw t.fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    if (kind === 'private key') createPrivateKey(bytes);
    else new X509Certificate(bytes);
  } catch {
    throw t.fail(`'${t.text}' holds no PEM ${kind}`);
  }
  return bytes;
}

/** `CERT KEY [CA]` read and checked (see `readPemFile`). */
export function readTlsFiles(tokens: readonly Token[]): TlsSettings {
  const [certT, keyT, caT] = tokens;
  return {
    cert: readPemFile(certT!, 'certificate'),
    key: readPemFile(keyT!, 'private key'),
    ca: caT === undefined ? undefined : readPemFile(caT, 'CA certificate'),
    files: tokens.map((t) => resolve(dirname(t.file), t.text)),
  };
}

/**
 * A client's `tls [CERT KEY] [CA]` property, as CoreDNS reads it for forward: no argument, the
 * system's CAs; CA alone; a client certificate and key (system CAs); or all three.
 */
export function parseClientTls(p: Property): UpstreamTls {
  const args = p.expectArgs(0, 3);
  switch (args.length) {
    case 0: return {};
    case 1: return { ca: readPemFile(args[0]!, 'CA certificate') };
    case 2: return { cert: readPemFile(args[0]!, 'certificate'), key: readPemFile(args[1]!, 'private key') };
    default: return { cert: readPemFile(args[0]!, 'certificate'), key: readPemFile(args[1]!, 'private key'), ca: readPemFile(args[2]!, 'CA certificate') };
  }
}

/**
 * `tls CERT KEY [CA]` (CoreDNS's tls directive): the certificate of a `tls://` or `https://`
 * block's listener; with CA, clients must show a certificate it signed. The files are read when
 * the Corefile is loaded, so a reload (SIGHUP, `dnsmesh ctl reload`) picks up renewed ones. Takes
 * no place in the chain.
 */
export default definePlugin<TlsSettings>({
  name: 'tls',
  core: '^0.1.0',
  parse(d) {
    const args = d.expectArgs(2, 3);
    if (d.hasBlock) throw d.fail('takes no block (client_auth and the other CoreDNS options are not supported)');
    return readTlsFiles(args);
  },
  create(settings, block) {
    block.tls = settings;
    return undefined;
  },
});
