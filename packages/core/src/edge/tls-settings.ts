import type tls from 'node:tls';

/**
 * A listener's certificate, as the `tls CERT KEY [CA]` directive read it: the files' bytes (read
 * when the Corefile is loaded, so a reload reads them again) and their paths (for messages).
 * With `ca`, clients must present a certificate that CA signed (mutual TLS).
 */
export interface TlsSettings {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly files: readonly string[];
}

/**
 * Node's server options for these settings. TLS 1.2 at least (RFC 8310 §3, RFC 9325); session
 * tickets on (Node's default), so clients that come back resume without a full handshake.
 */
export function serverTlsOptions(s: TlsSettings): tls.TlsOptions {
  return {
    cert: s.cert,
    key: s.key,
    ...(s.ca !== undefined ? { ca: s.ca, requestCert: true, rejectUnauthorized: true } : {}),
    minVersion: 'TLSv1.2',
  };
}
