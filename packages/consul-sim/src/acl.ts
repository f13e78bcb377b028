// ACL mode: which token a request carries and what it may read (notes §3, ACLs).
import type { AclOptions } from './options.js';

/** 'all', or the service names the token may read; node reads come with any valid token. */
export type Grant = 'all' | readonly string[];
export type TokenResult = { ok: true; grant: Grant; token: string | undefined } | { ok: false };

/** X-Consul-Token, then Authorization: Bearer, then ?token= (Consul's order). */
export function requestToken(headers: Record<string, string | string[] | undefined>, url: URL): string | undefined {
  const header = headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = headers['authorization'];
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  const q = url.searchParams.get('token');
  return q === null || q === '' ? undefined : q;
}

/**
 * With ACLs off everything is readable. With them on, no token means the agent's default token, or
 * the anonymous token (which reads nothing); an unknown token is refused ("ACL not found").
 */
export function resolveGrant(acl: AclOptions | undefined, token: string | undefined): TokenResult {
  if (acl === undefined) return { ok: true, grant: 'all', token };
  const t = token ?? acl.default_token;
  if (t === undefined) return { ok: true, grant: [], token: undefined };
  const grant = acl.tokens[t];
  return grant === undefined ? { ok: false } : { ok: true, grant, token: t };
}

export function canReadService(grant: Grant, name: string): boolean {
  return grant === 'all' || grant.some((g) => g.toLowerCase() === name.toLowerCase());
}
/** The anonymous deny-all grant sees no nodes either. */
export function canReadNodes(grant: Grant): boolean { return grant === 'all' || grant.length > 0; }

/** The DNS interface reads with dns_token, else the default token, else anonymous. */
export function dnsGrant(acl: AclOptions | undefined): Grant {
  if (acl === undefined) return 'all';
  const t = acl.dns_token ?? acl.default_token;
  return t === undefined ? [] : acl.tokens[t] ?? [];
}
