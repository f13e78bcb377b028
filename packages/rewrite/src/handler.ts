import { DnsMessage, HEADER_SIZE, NO_REPLY, QueryContext, Section, type Layout, type Next, type Plugin } from '@dnsmesh/core';
import { findCname, spliceCname } from './cname.js';
import { EdnsPlan } from './edns.js';
import { foldCase, readNameText } from './name-text.js';
import { rewriteRcode } from './rcode.js';
import { rewriteQuestion } from './request.js';
import { rebuildReply, type NameMap } from './response.js';
import { applyName, expandGroups, matchesName, type CnameRule, type NameRule, type RcodeRule, type Rule, type TtlRule } from './rules.js';

/** Counters the metrics read at scrape time. */
export class RewriteCounts {
  rewritten = 0;
  /** Queries sent on with EDNS options an edns0 rule set. */
  ednsSet = 0;
  /** Lookups of a CNAME target a cname rule rewrote. */
  cnameLookups = 0;
}

/** What the rules made of one query. */
interface Plan {
  /** A rule acted (an edns0 rule may only have marked the query per-client). */
  matched: boolean;
  name: string;
  type: number;
  klass: number;
  nameRules: NameRule[];
  ttl: TtlRule[];
  cname: CnameRule[];
  rcode: RcodeRule[];
  /** The option list, once an edns0 rule was reached. */
  edns: EdnsPlan | undefined;
}

/**
 * Applies the block's rewrite rules in order (`stop` ends the list at a matching rule, `continue`
 * goes on): the query that goes down the chain has the rewritten name, type or class, and the
 * EDNS options the edns0 rules set (`ctx.upstreamEdns`, which forward puts in its own OPT); the
 * reply gets the client's question back, and, as the rules say, a CNAME target rewritten and
 * looked up (`cname`), answer names turned back (`answer auto`, `answer name`), RDATA names
 * changed (`answer value`), TTLs set (`ttl`) and the rcode changed (`rcode`). Invisible to the
 * client. A query no rule matches passes on untouched, at the cost of one name read.
 */
export class RewritePlugin implements Plugin {
  readonly name = 'rewrite';
  readonly counts = new RewriteCounts();

  constructor(readonly rules: Rule[]) {}

  handle(ctx: QueryContext, next: Next): DnsMessage | Promise<DnsMessage> {
    const request = ctx.request;
    const q = request.question;
    if (q === undefined) return next(ctx);
    const original = readNameText(request.bytes, HEADER_SIZE).text;
    const plan = this.#plan(ctx, foldCase(original), original, q.type, q.class);
    if (plan === undefined) return next(ctx);
    if (plan.matched) this.counts.rewritten++;
    const renamed = plan.name !== foldCase(original);
    const inner = new QueryContext(
      renamed || plan.type !== q.type || plan.klass !== q.class ? rewriteQuestion(request, renamed ? plan.name : original, plan.type, plan.klass) : request,
      ctx.client, ctx.block, ctx.now,
    );
    Object.assign(inner.state, ctx.state);
    if (plan.edns !== undefined) {
      // On the client's context too, before next: the cache in front reads perClient as soon as
      // we return (an answer for this client's subnet is neither shared nor stored).
      const upstream = plan.edns.upstream();
      if (upstream.options.length > 0 || upstream.perClient) {
        ctx.upstreamEdns = upstream;
        inner.upstreamEdns = upstream;
        if (upstream.options.length > 0) this.counts.ednsSet++;
      }
    }
    const unhook = ctx.onAbort(() => inner.abort()); // a plain callback: an AbortSignal costs microseconds
    const finish = (reply: DnsMessage): DnsMessage | Promise<DnsMessage> => {
      unhook();
      Object.assign(ctx.state, inner.state);
      // Kept beside the context, not in its state: carried over one by one.
      if (inner.edeText !== undefined) ctx.setEde(inner.state.ede, inner.edeText);
      if (inner.failure !== undefined) ctx.failure = inner.failure;
      if (plan.cname.length > 0) {
        const spliced = this.#cname(ctx, inner, reply, plan, next);
        if (spliced instanceof Promise) return spliced.then((r) => this.#reply(r, request, original, plan, renamed));
        return this.#reply(spliced, request, original, plan, renamed);
      }
      return this.#reply(reply, request, original, plan, renamed);
    };
    let result;
    try {
      result = next(inner);
    } catch (err) {
      unhook();
      throw err;
    }
    return result instanceof Promise ? result.then(finish, (err: unknown) => { unhook(); throw err; }) : finish(result);
  }

  /** The rules applied to the query; undefined when none acted and none made it per-client. */
  #plan(ctx: QueryContext, name: string, original: string, type: number, klass: number): Plan | undefined {
    const plan: Plan = { matched: false, name, type, klass, nameRules: [], ttl: [], cname: [], rcode: [], edns: undefined };
    for (const rule of this.rules) {
      let matched = false;
      switch (rule.field) {
        case 'name': {
          const to = applyName(rule, plan.name);
          if (to !== undefined) { plan.name = to.endsWith('.') ? to : `${to}.`; plan.nameRules.push(rule); matched = true; }
          break;
        }
        case 'type': if (plan.type === rule.from) { plan.type = rule.to; matched = true; } break;
        case 'class': if (plan.klass === rule.from) { plan.klass = rule.to; matched = true; } break;
        case 'ttl': if (matchesName(rule, plan.name)) { plan.ttl.push(rule); matched = true; } break;
        case 'edns0': matched = (plan.edns ??= new EdnsPlan(ctx)).apply(rule, ctx, plan.name === name ? original : plan.name, plan.type); break;
        case 'cname': plan.cname.push(rule); matched = true; break; // as CoreDNS: acts on every reply
        case 'rcode': if (matchesName(rule, plan.name)) { plan.rcode.push(rule); matched = true; } break;
      }
      if (!matched) continue;
      plan.matched = true;
      if (rule.mode === 'stop') break;
    }
    return plan.matched || plan.edns?.perClient === true ? plan : undefined;
  }

  /**
   * A CNAME in the answer whose target a cname rule matches gets the new target, and the new
   * target is asked (same type and class) from the plugins after us; the reply is the CNAMEs up
   * to it plus that answer. When the lookup fails or gives nothing, the reply stays as it came
   * (CoreDNS logs and keeps it).
   */
  #cname(ctx: QueryContext, inner: QueryContext, reply: DnsMessage, plan: Plan, next: Next): DnsMessage | Promise<DnsMessage> {
    if (reply === NO_REPLY) return reply;
    let hit;
    let lookup: QueryContext;
    try {
      hit = findCname(reply.bytes, reply.layout, plan.cname);
      if (hit === undefined) return reply;
      lookup = new QueryContext(rewriteQuestion(inner.request, hit.to, plan.type, plan.klass), ctx.client, ctx.block, ctx.now);
    } catch {
      return reply; // a malformed reply, or a target that is no name: as it came
    }
    this.counts.cnameLookups++;
    if (inner.upstreamEdns !== undefined) lookup.upstreamEdns = inner.upstreamEdns;
    const unhook = ctx.onAbort(() => lookup.abort());
    const done = (answer: DnsMessage): DnsMessage => {
      unhook();
      if (answer === NO_REPLY) return reply;
      try {
        return spliceCname(reply, hit, answer);
      } catch {
        return reply;
      }
    };
    let result;
    try {
      result = next(lookup);
    } catch {
      unhook();
      return reply;
    }
    return result instanceof Promise ? result.then(done, () => { unhook(); return reply; }) : done(result);
  }

  #reply(reply: DnsMessage, request: DnsMessage, original: string, plan: Plan, renamed: boolean): DnsMessage {
    if (reply === NO_REPLY) return reply; // the edge sends nothing: keep it the very object it drops
    let layout: Layout;
    try {
      layout = reply.layout;
    } catch {
      return reply; // malformed: the edge answers it as it would without us
    }
    let out = reply;
    if (renamed) {
      const rewritten = plan.name;
      const owner = ownerMap(plan.nameRules, rewritten, original);
      const value = valueMap(plan.nameRules);
      out = rebuildReply(reply, Buffer.from(request.bytes.subarray(HEADER_SIZE, request.questionEnd)), owner, value);
      layout = out.layout;
    }
    if (plan.ttl.length > 0) out = setTtls(out, layout, plan.ttl);
    if (plan.rcode.length > 0) out = rewriteRcode(out, plan.rcode);
    return out;
  }
}

/** Owner names in the answer section: `answer auto` turns the rewritten name back into the client's; `answer name` rules map the rest. */
function ownerMap(rules: readonly NameRule[], rewritten: string, original: string): NameMap | undefined {
  const auto = rules.some((r) => r.answerAuto);
  const byRegex = rules.flatMap((r) => r.answerName);
  if (!auto && byRegex.length === 0) return undefined;
  return (name, section) => {
    if (section !== Section.ANSWER) return undefined;
    const folded = foldCase(name);
    if (auto && folded === rewritten) return original;
    for (const [from, to] of byRegex) {
      const m = from.exec(folded);
      if (m !== null) return expandGroups(to, m);
    }
    return undefined;
  };
}

function valueMap(rules: readonly NameRule[]): NameMap | undefined {
  const byRegex = rules.flatMap((r) => r.answerValue);
  if (byRegex.length === 0) return undefined;
  return (name, section) => {
    if (section !== Section.ANSWER) return undefined;
    for (const [from, to] of byRegex) {
      const m = from.exec(foldCase(name));
      if (m !== null) return expandGroups(to, m);
    }
    return undefined;
  };
}

/** A copy with the TTLs of records whose owner matches a ttl rule set into the rule's range. */
function setTtls(reply: DnsMessage, layout: Layout, rules: readonly TtlRule[]): DnsMessage {
  const bytes = Buffer.from(reply.bytes);
  const count = layout.an + layout.ns + layout.ar;
  for (let i = 0; i < count; i++) {
    if (i === layout.opt) continue;
    const name = foldCase(readNameText(bytes, layout.start[i]!).text);
    const rule = rules.find((r) => matchesName(r, name));
    if (rule === undefined) continue;
    const at = layout.ttlAt[i]!;
    const stored = bytes.readUInt32BE(at);
    const ttl = reply.ttlSet >= 0 ? reply.ttlSet : Math.max(0, stored - reply.ttlAge);
    bytes.writeUInt32BE(Math.min(Math.max(ttl, rule.min), rule.max) + (reply.ttlSet >= 0 ? 0 : Math.min(stored, reply.ttlAge)), at);
  }
  const out = new DnsMessage(bytes, layout);
  out.ttlAge = reply.ttlAge;
  out.ttlSet = reply.ttlSet;
  out.extendedRcode = reply.extendedRcode;
  out.authoritative = reply.authoritative;
  return out;
}
