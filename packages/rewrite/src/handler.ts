import { DnsMessage, HEADER_SIZE, NO_REPLY, QueryContext, Section, type Layout, type Next, type Plugin } from '@dnsmesh/core';
import { foldCase, readNameText } from './name-text.js';
import { rewriteQuestion } from './request.js';
import { rebuildReply, type NameMap } from './response.js';
import { applyName, expandGroups, matchesName, type NameRule, type Rule, type TtlRule } from './rules.js';

/** Counters the metrics read at scrape time. */
export class RewriteCounts {
  rewritten = 0;
}

/** What the rules made of one query. */
interface Plan {
  name: string;
  type: number;
  klass: number;
  nameRules: NameRule[];
  ttl: TtlRule[];
}

/**
 * Applies the block's rewrite rules in order (`stop` ends the list at a matching rule, `continue`
 * goes on): the query that goes down the chain has the rewritten name, type or class; the reply
 * gets the client's question back, and, as the rules say, answer names turned back (`answer
 * auto`, `answer name`), RDATA names changed (`answer value`) and TTLs set (`ttl`). Invisible to
 * the client. A query no rule matches passes on untouched, at the cost of one name read.
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
    const plan = this.#plan(foldCase(original), q.type, q.class);
    if (plan === undefined) return next(ctx);
    this.counts.rewritten++;
    const renamed = plan.name !== foldCase(original);
    const inner = new QueryContext(
      renamed || plan.type !== q.type || plan.klass !== q.class ? rewriteQuestion(request, renamed ? plan.name : original, plan.type, plan.klass) : request,
      ctx.client, ctx.block, ctx.now,
    );
    Object.assign(inner.state, ctx.state);
    const unhook = ctx.onAbort(() => inner.abort()); // a plain callback: an AbortSignal costs microseconds
    const finish = (reply: DnsMessage): DnsMessage => {
      unhook();
      Object.assign(ctx.state, inner.state);
      // Kept beside the context, not in its state: carried over one by one.
      if (inner.edeText !== undefined) ctx.setEde(inner.state.ede, inner.edeText);
      if (inner.failure !== undefined) ctx.failure = inner.failure;
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

  /** The rules applied to (name, type, class); undefined when none matched. */
  #plan(name: string, type: number, klass: number): Plan | undefined {
    let plan: Plan | undefined;
    for (const rule of this.rules) {
      const current = plan ?? { name, type, klass, nameRules: [], ttl: [] };
      let matched = false;
      switch (rule.field) {
        case 'name': {
          const to = applyName(rule, current.name);
          if (to !== undefined) { current.name = to.endsWith('.') ? to : `${to}.`; current.nameRules.push(rule); matched = true; }
          break;
        }
        case 'type': if (current.type === rule.from) { current.type = rule.to; matched = true; } break;
        case 'class': if (current.klass === rule.from) { current.klass = rule.to; matched = true; } break;
        case 'ttl': if (matchesName(rule, current.name)) { current.ttl.push(rule); matched = true; } break;
      }
      if (!matched) continue;
      plan = current;
      if (rule.mode === 'stop') break;
    }
    return plan;
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
