import type { QueryContext } from '../context.js';
import { DnsMessage } from '../message.js';
import { Ede, FLAG_AD, HEADER_SIZE, OFF_FLAGS, RCODE_MASK, rcodeName } from '../wire/constants.js';

/** How far an upstream is trusted. */
export interface UpstreamTrust {
  /**
   * Its AD bit means "validated" to us (forward `trust_ad`): set only for a validating upstream
   * on a path nobody can tamper with (RFC 6840 §5.8, RFC 4035 §4.9.3). Default false.
   */
  readonly trustAd?: boolean;
}

/**
 * What an upstream's reply (accepted by `checkReply`) becomes before it goes back up the chain,
 * for every plugin that asks an upstream (forward, consul's DNS mode):
 *
 * - an error without a question (FORMERR, NOTIMP, REFUSED or SERVFAIL with QDCOUNT 0, as NSD sends) is the
 *   upstream's answer, not a spoof: the client gets that rcode at once, with its own question
 *   and an Extended DNS Error 22 (No Reachable Authority) that names the upstream. The cache
 *   never stores these rcodes, so no other client sees it; SERVFAIL (Unbound's answer) would be
 *   stored for `servfail` seconds and shared;
 * - AD cleared unless the upstream is trusted: a cache that does not validate must not vouch for
 *   data it cannot check (the edge shows a trusted AD only to clients that asked, AD or DO).
 *
 * The reply's bytes are the exchange's own buffer, so AD is cleared in place.
 */
export function fromUpstream(ctx: QueryContext, reply: DnsMessage, upstream: string, trust: UpstreamTrust = {}): DnsMessage {
  if (reply.questionEnd === HEADER_SIZE) {
    const rcode = reply.bytes[OFF_FLAGS + 1]! & RCODE_MASK;
    ctx.setEde(Ede.NO_REACHABLE_AUTHORITY, `${upstream} answered ${rcodeName(rcode)} without a question`);
    return DnsMessage.reply(ctx.request, rcode);
  }
  if (trust.trustAd !== true && (reply.bytes[OFF_FLAGS + 1]! & FLAG_AD) !== 0) reply.bytes[OFF_FLAGS + 1] = reply.bytes[OFF_FLAGS + 1]! & ~FLAG_AD;
  return reply;
}
