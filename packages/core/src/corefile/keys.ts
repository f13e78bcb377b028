import type { Token } from './token.js';
import { parsePort } from './token.js';
import { toZone } from './zone.js';

/**
 * How a server block's clients reach it: `dns` (UDP and TCP), `tls` (DNS over TLS, RFC 7858) or
 * `https` (DNS over HTTPS, RFC 8484).
 */
export type Scheme = 'dns' | 'tls' | 'https';

/** The port a key without one gets, by scheme (`dns` takes -dns.port). */
export const SCHEME_PORTS: Readonly<Record<Exclude<Scheme, 'dns'>, number>> = { tls: 853, https: 443 };

/** One zone a server block serves. `text` is the key as written; `port` is undefined when none was given. */
export interface ServerKey {
  readonly zone: string;
  readonly port: number | undefined;
  readonly text: string;
  readonly scheme: Scheme;
}

/** A key and the token it came from, for messages that point at it. */
export interface KeyAt {
  readonly key: ServerKey;
  readonly token: Token;
}

/**
 * The keys of one server block: tokens like `example.org:53`, `dns://.:1053` or `10.0.0.0/24`,
 * separated by spaces and/or commas (`a.org,b.org`, `a.org, b.org`).
 */
export function parseKeys(tokens: readonly Token[]): KeyAt[] {
  const keys: KeyAt[] = [];
  for (const token of tokens) {
    const parts = token.quoted ? [token.text] : token.text.split(',');
    // A trailing comma only says another key follows; the parser has already checked that one did.
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const part of parts) {
      if (part === '') throw token.fail(`empty server block key in '${token.text}'`);
      keys.push({ key: parseKey(part, token), token });
    }
  }
  return keys;
}

/** `[dns://|tls://|https://]ZONE[:PORT]`, where ZONE may be a CIDR. */
export function parseKey(text: string, at: Token): ServerKey {
  let rest = text;
  let kind: Scheme = 'dns';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'dns' && name !== 'tls' && name !== 'https') {
      throw at.fail(`server block key '${text}': ${name}:// is not supported (dns://, tls:// or https://)`);
    }
    kind = name;
    rest = rest.slice(scheme[0].length);
  }
  // The port is what follows the last colon when that is a number (CoreDNS's rule): an IPv6
  // CIDR keeps its colons because its mask comes last.
  let port: number | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    const portText = rest.slice(colon + 1);
    if (/^\d+$/.test(portText)) {
      port = parsePort(portText);
      if (port === undefined) throw at.fail(`server block key '${text}': port ${portText} is not between 0 and 65535`);
      rest = rest.slice(0, colon);
    } else if (!rest.includes('/')) {
      throw at.fail(`server block key '${text}': bad port '${portText}'`);
    }
  }
  try {
    return { zone: toZone(rest), port: port ?? (kind === 'dns' ? undefined : SCHEME_PORTS[kind]), text, scheme: kind };
  } catch (err) {
    throw at.fail(`server block key '${text}': ${(err as Error).message}`);
  }
}
