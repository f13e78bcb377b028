import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Directive, Property } from '@dnsmesh/core';
import { addressArg, addressOption, type HttpAddress } from '../http/address.js';

export interface AdminOptions {
  /** Where `/cache` and `/cache/flush` are served. */
  readonly address: HttpAddress;
  /** The bearer token every request must carry; undefined: none (then only loopback may change anything). */
  readonly token: string | undefined;
}

/** The port used when ADDRESS has none. */
export const DEFAULT_PORT = 8053;
/** `:PORT` (no host) means loopback here, not every interface: the admin endpoint is never opened by surprise. */
export const DEFAULT_HOST = '127.0.0.1';
/** A token is a secret: short ones can be guessed. */
export const MIN_TOKEN_LENGTH = 16;
/** RFC 6750's b64token: what a bearer token may hold. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * ```
 * admin ADDRESS {
 *     token TOKEN          # or {$ENV}
 *     token_file PATH      # relative to the Corefile
 * }
 * ```
 */
export function parse(d: Directive): AdminOptions {
  const [addr] = d.expectArgs(1, 1);
  let token: string | undefined;
  for (const p of d.block) {
    if (p.name.text !== 'token' && p.name.text !== 'token_file') throw p.fail(`unknown property '${p.name.text}'`);
    if (token !== undefined) throw p.fail('the token is set twice (token or token_file, once)');
    const [value] = p.expectArgs(1, 1);
    token = p.name.text === 'token' ? checkToken(p, value!.text) : readTokenFile(p, value!.text, d.file);
  }
  return { address: loopbackByDefault(addressArg(addr, { host: DEFAULT_HOST, port: DEFAULT_PORT })), token };
}

function readTokenFile(p: Property, path: string, corefile: string): string {
  const full = resolve(dirname(corefile), path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw p.fail(`cannot read token_file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return checkToken(p, text.trim(), `token_file '${path}'`);
}

function checkToken(p: Property, token: string, what = 'token'): string {
  if (token.length < MIN_TOKEN_LENGTH) throw p.fail(`${what} must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}`);
  if (!TOKEN.test(token)) throw p.fail(`${what} may hold only letters, digits and - . _ ~ + / (then = padding)`);
  return token;
}

function loopbackByDefault(address: HttpAddress): HttpAddress {
  return address.host === '' ? { host: DEFAULT_HOST, port: address.port } : address;
}

export interface AdminInput {
  /** `HOST[:PORT]`, required; `127.0.0.1:0` picks a free port (see `httpUrl`). `:PORT` is loopback. */
  readonly address: string;
  /** The bearer token every request must carry (at least 16 characters). */
  readonly token?: string;
}

export function resolveOptions(input: AdminInput): AdminOptions {
  if (input?.address === undefined) throw new TypeError("admin: address is required (like '127.0.0.1:8053')");
  const token = input.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || !TOKEN.test(token))) {
    throw new TypeError(`admin: token must be at least ${MIN_TOKEN_LENGTH} characters of letters, digits and - . _ ~ + / (then = padding)`);
  }
  return { address: loopbackByDefault(addressOption('admin', input.address, { host: DEFAULT_HOST, port: DEFAULT_PORT })), token };
}
