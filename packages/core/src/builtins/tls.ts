import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Token } from '../corefile/index.js';
import type { TlsSettings } from '../edge/tls-settings.js';
import { definePlugin } from '../plugin.js';

/**
 * Reads `CERT KEY [CA]` (PEM files; a relative path is taken from the Corefile's folder, as
 * CoreDNS does) and checks that each parses, so a wrong file fails the load at its line (and a
 * reload with a broken file keeps the running certificate). Throws the token's FILE:LINE error.
 */
export function readTlsFiles(tokens: readonly Token[]): TlsSettings {
  const [certT, keyT, caT] = tokens;
  const read = (t: Token): Buffer => {
    const path = resolve(dirname(t.file), t.text);
    try {
      return readFileSync(path);
    } catch (err) {
      throw t.fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = certT === undefined ? undefined : read(certT);
  const key = keyT === undefined ? undefined : read(keyT);
  const ca = caT === undefined ? undefined : read(caT);
  try { if (cert !== undefined) new X509Certificate(cert); } catch { throw certT!.fail(`'${certT!.text}' holds no PEM certificate`); }
  try { if (key !== undefined) createPrivateKey(key); } catch { throw keyT!.fail(`'${keyT!.text}' holds no PEM private key`); }
  try { if (ca !== undefined) new X509Certificate(ca); } catch { throw caT!.fail(`'${caT!.text}' holds no PEM CA certificate`); }
  return { cert: cert!, key: key!, ca, files: tokens.map((t) => resolve(dirname(t.file), t.text)) };
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
