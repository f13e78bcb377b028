import { Token } from '@dnsmesh/core';

/** Where an HTTP endpoint listens. An empty host means every interface (CoreDNS's `:9153`). */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `HOST[:PORT]`, `:PORT` or `[::1]:PORT` from a Corefile token, or the default when the
 * directive has no argument. Errors carry FILE:LINE through the token.
 */
export function addressArg(token: Token | undefined, fallback: HttpAddress): HttpAddress {
  if (token === undefined) return fallback;
  return token.hostPort(fallback.port);
}

/**
 * The same forms from code (`prometheusPlugin({ address: '127.0.0.1:0' })`); a mistake is a
 * TypeError that names the option.
 */
export function addressOption(directive: string, text: string | undefined, fallback: HttpAddress): HttpAddress {
  if (text === undefined) return fallback;
  if (typeof text !== 'string') throw new TypeError(`${directive}: address must be a string like '127.0.0.1:9153', got ${typeof text}`);
  try {
    return new Token(text, 'code', 0).hostPort(fallback.port);
  } catch {
    throw new TypeError(`${directive}: address must be HOST[:PORT] (like 127.0.0.1:9153 or [::1]:9153), got '${text}'`);
  }
}

/** "127.0.0.1:9153", "[::1]:9153", ":9153". */
export function formatAddress({ host, port }: HttpAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
