import { parseIp } from '@dnsmesh/acl';
import { ednsOptions, type QueryContext, type UpstreamEdns } from '@dnsmesh/core';
import type { EdnsRule } from './rules.js';

/** One option of the list the edns0 rules work on; `ours` once a rule set it. */
interface Option {
  code: number;
  data: Uint8Array;
  ours: boolean;
}

/**
 * The option list of one query as the edns0 rules go (CoreDNS's rules act on the request's OPT):
 * it starts as the client's own options, and each rule sets, appends, replaces or removes. What
 * goes upstream is the options a rule set (`ours`): dnsmesh never passes a client's own option on
 * (its upstream OPT is its own, RFC 6891 §6.1.1), so an untouched client option stays behind.
 */
export class EdnsPlan {
  readonly #list: Option[];
  /** The upstream query may differ between clients asking the same question (see `UpstreamEdns`). */
  perClient = false;

  constructor(ctx: QueryContext) {
    const request = ctx.request;
    const edns = request.edns;
    this.#list = edns === undefined ? [] : ednsOptions(request.bytes, edns).map((o) => ({ code: o.code, data: o.data, ours: false }));
  }

  /**
   * Applies one rule; false when it did not act (CoreDNS's RewriteIgnored: `append` with the
   * option there, `replace` without it), which lets a `stop` rule pass to the next one.
   * `qname` and `qtype` are the query's as the rules so far made them.
   */
  apply(rule: EdnsRule, ctx: QueryContext, qname: string, qtype: number): boolean {
    // What a client sent decides what append and replace do, and the subnet and the client's
    // address and port are its own: the answer to such a query is not for other clients.
    if (rule.action === 'append' || rule.action === 'replace' || rule.data?.kind === 'subnet'
      || (rule.data?.kind === 'variable' && CLIENT_VARIABLES.has(rule.data.variable))) this.perClient = true;
    const list = this.#list;
    if (rule.action === 'unset') {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.code === rule.code) list.splice(i, 1);
      return true;
    }
    const data = dataOf(rule, ctx, qname, qtype);
    if (data === undefined) return false; // CoreDNS: no data for the variable, the rule is ignored
    const at = list.findIndex((o) => o.code === rule.code);
    if (at >= 0) {
      if (rule.action === 'append') return false;
      list[at] = { code: rule.code, data, ours: true };
      return true;
    }
    if (rule.action === 'replace') return false;
    list.push({ code: rule.code, data, ours: true });
    return true;
  }

  /** What goes upstream with the query. */
  upstream(): UpstreamEdns {
    return { options: this.#list.filter((o) => o.ours).map((o) => ({ code: o.code, data: o.data })), perClient: this.perClient };
  }
}

/** Variables whose value is the client's (or the listener's: a block may listen on several addresses). */
const CLIENT_VARIABLES = new Set(['{client_ip}', '{client_port}', '{protocol}', '{server_ip}']);

function dataOf(rule: EdnsRule, ctx: QueryContext, qname: string, qtype: number): Uint8Array | undefined {
  const data = rule.data!;
  switch (data.kind) {
    case 'bytes': return data.bytes;
    case 'subnet': return clientSubnet(ctx.client.address, data.v4, data.v6);
    case 'variable':
      switch (data.variable) {
        case '{qname}': return Buffer.from(qname, 'latin1');
        case '{qtype}': return u16(qtype);
        case '{client_ip}': return addressBytes(ctx.client.address);
        case '{client_port}': return u16(ctx.client.port);
        case '{protocol}': return Buffer.from(ctx.client.transport, 'latin1');
        case '{server_ip}': return serverAddress(ctx.block.bind);
        case '{server_port}': return u16(ctx.block.port);
      }
  }
}

/** The block's one listening address; undefined when it listens on several or on a wildcard (which one a query came to is not known). */
function serverAddress(bind: readonly string[]): Buffer | undefined {
  if (bind.length !== 1 || bind[0] === '0.0.0.0' || bind[0] === '::') return undefined;
  return addressBytes(bind[0]!);
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

/** An address as 4 or 16 bytes (an IPv4-mapped IPv6 address as its IPv4 one, as CoreDNS); undefined when it is none. */
function addressBytes(text: string): Buffer | undefined {
  const ip = parseIp(text);
  if (ip === undefined) return undefined;
  const out = Buffer.alloc(ip.family === 4 ? 4 : 16);
  ip.words.forEach((w, i) => out.writeUInt32BE(w >>> 0, i * 4));
  return out;
}

/**
 * The ECS option's data (RFC 7871 §6) for the client's address: FAMILY, SOURCE PREFIX-LENGTH
 * (`v4` or `v6` bits), SCOPE PREFIX-LENGTH 0, and the address cut to its prefix, in as many bytes
 * as the prefix needs.
 */
export function clientSubnet(address: string, v4: number, v6: number): Buffer | undefined {
  const bytes = addressBytes(address);
  if (bytes === undefined) return undefined;
  const prefix = bytes.length === 4 ? v4 : v6;
  const length = Math.ceil(prefix / 8);
  const out = Buffer.alloc(4 + length);
  out.writeUInt16BE(bytes.length === 4 ? 1 : 2, 0);
  out[2] = prefix;
  out[3] = 0;
  for (let i = 0; i < length; i++) {
    const keep = Math.min(8, prefix - i * 8);            // bits of this byte inside the prefix
    out[4 + i] = bytes[i]! & (0xff << (8 - keep)) & 0xff;
  }
  return out;
}
