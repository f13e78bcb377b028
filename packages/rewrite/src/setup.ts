import { typeFromName, type Directive, type Token } from '@dnsmesh/core';
import { ednsRule } from './setup-edns.js';
import type { Mode, NameMatch, NameRule, Rule } from './rules.js';
import { foldCase } from './name-text.js';

const MATCHES: readonly string[] = ['exact', 'prefix', 'suffix', 'substring', 'regex'];
const CLASSES: Record<string, number> = { IN: 1, CH: 3, HS: 4 };

/**
 * One `rewrite` line -> its rule (the server block gathers every line of the block, in order, into
 * one plugin, so `stop` and `continue` work across lines as in CoreDNS):
 *
 *     rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto|answer name FROM TO|answer value FROM TO]...
 *     rewrite [continue|stop] type FROM TO
 *     rewrite [continue|stop] class FROM TO
 *     rewrite [continue|stop] ttl [exact|prefix|suffix|substring|regex] NAME TTL|MIN-MAX|MIN-|-MAX
 *     rewrite [continue|stop] edns0 local|nsid|subnet set|append|replace|unset ... [revert]   (setup-edns.ts)
 *     rewrite [continue|stop] cname [exact|prefix|suffix|substring|regex] FROM TO
 *     rewrite [continue|stop] rcode [exact|prefix|suffix|substring|regex] NAME FROM TO
 *     rewrite [continue|stop] { name ... ; answer name FROM TO ; answer value FROM TO }
 */
export function parse(d: Directive): Rule {
  let args: Token[];
  let mode: Mode = 'stop';
  if (d.block.length > 0) {
    // The block form: `rewrite [continue|stop] { name ... ; answer name ... ; answer value ... }`,
    // read as the same words on one line (each word keeps its own line for messages).
    const head = d.expectArgs(0, 1);
    if (head[0] !== undefined) {
      if (head[0].text !== 'continue' && head[0].text !== 'stop') throw head[0].fail(`expected continue or stop before the block, got '${head[0].text}'`);
      mode = head[0].text;
    }
    const [rule, ...rest] = d.block;
    for (const p of rest) if (p.name.text !== 'answer') throw p.name.fail(`expected 'answer' after the rule in the block, got '${p.name.text}'`);
    args = [rule!.name, ...rule!.args, ...rest.flatMap((p) => [p.name, ...p.args])];
  } else {
    args = [...d.expectArgs(2)];
    if (args[0]!.text === 'continue' || args[0]!.text === 'stop') mode = args.shift()!.text as Mode;
  }
  const field = args.shift();
  if (field === undefined) throw d.fail('needs a FIELD (name, type, class or ttl)');
  switch (field.text) {
    case 'name': return nameRule(d, mode, args);
    case 'type': {
      const [from, to] = exactly(d, 'type', args, 2);
      return { field: 'type', mode, from: typeOf(from!), to: typeOf(to!) };
    }
    case 'class': {
      const [from, to] = exactly(d, 'class', args, 2);
      return { field: 'class', mode, from: classOf(from!), to: classOf(to!) };
    }
    case 'ttl': {
      const match = matchOf(args);
      const [name, ttl] = exactly(d, 'ttl', args, 2);
      const [min, max] = ttlRange(ttl!);
      return { field: 'ttl', mode, match, from: fromOf(match, name!), min, max };
    }
    case 'edns0': return ednsRule(field, mode, args);
    case 'cname': {
      if (args.length < 2 || args.length > 3) throw field.fail(`cname takes [exact|prefix|suffix|substring|regex] FROM TO, got ${args.length} arguments`);
      const match = args.length === 3 ? matchWord(args.shift()!) : 'exact';
      const [from, to] = args;
      return { field: 'cname', mode, match, from: fromOf(match, from!), to: toOf(match, to!) };
    }
    case 'rcode': {
      if (args.length < 3 || args.length > 4) throw field.fail(`rcode takes [exact|prefix|suffix|substring|regex] NAME FROM TO, got ${args.length} arguments`);
      const match = args.length === 4 ? matchWord(args.shift()!) : 'exact';
      const [name, from, to] = args;
      return { field: 'rcode', mode, match, from: fromOf(match, name!), fromRcode: rcodeOf(from!), toRcode: rcodeOf(to!) };
    }
    default:
      throw field.fail(`unknown field '${field.text}' (name, type, class, ttl, edns0, cname or rcode)`);
  }
}

function nameRule(d: Directive, mode: Mode, args: Token[]): NameRule {
  const match = matchOf(args);
  const from = args.shift();
  const to = args.shift();
  if (from === undefined || to === undefined) throw d.fail('name needs FROM and TO');
  let answerAuto = false;
  const answerName: [RegExp, string][] = [];
  const answerValue: [RegExp, string][] = [];
  while (args.length > 0) {
    const word = args.shift()!;
    if (word.text !== 'answer') throw word.fail(`expected 'answer', got '${word.text}'`);
    const what = args.shift();
    if (what?.text === 'auto') { answerAuto = true; continue; }
    if (what?.text === 'name' || what?.text === 'value') {
      const [f, t] = [args.shift(), args.shift()];
      if (f === undefined || t === undefined) throw what.fail(`answer ${what.text} needs FROM and TO`);
      (what.text === 'name' ? answerName : answerValue).push([regex(f), t.text]);
      continue;
    }
    throw (what ?? word).fail(`answer takes auto, name FROM TO or value FROM TO${what === undefined ? '' : `, got '${what.text}'`}`);
  }
  return { field: 'name', mode, match, from: fromOf(match, from), to: toOf(match, to), answerAuto, answerName, answerValue };
}

/** The match type when one is given (a name rule then has FROM and TO after it). */
function matchOf(args: Token[]): NameMatch {
  return args.length > 2 && MATCHES.includes(args[0]!.text) ? args.shift()!.text as NameMatch : 'exact';
}

/** A match type given explicitly (cname and rcode, whose argument count says whether one is there). */
function matchWord(t: Token): NameMatch {
  const word = t.text.toLowerCase();
  if (!MATCHES.includes(word)) throw t.fail(`unknown match type '${t.text}' (exact, prefix, suffix, substring or regex)`);
  return word as NameMatch;
}

/** CoreDNS's rcode names (miekg/dns's table), or a number 0 to 23. */
const RCODES: Record<string, number> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10,
  BADSIG: 16, BADVERS: 16, BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20, BADALG: 21, BADTRUNC: 22, BADCOOKIE: 23,
};

function rcodeOf(t: Token): number {
  if (/^\d+$/.test(t.text) && Number(t.text) <= 23) return Number(t.text);
  const v = RCODES[t.text.toUpperCase()];
  if (v === undefined) throw t.fail(`unknown rcode '${t.text}' (NOERROR, SERVFAIL, NXDOMAIN, ... or 0 to 23)`);
  return v;
}

/** Exact and suffix compare whole names from the end: FROM gets its trailing dot (as the query name has). */
function fromOf(match: NameMatch, t: Token): string | RegExp {
  if (match === 'regex') return regex(t);
  const text = foldCase(t.text);
  return match === 'exact' || match === 'suffix' ? dotted(text) : text;
}

function toOf(match: NameMatch, t: Token): string {
  return match === 'exact' || match === 'suffix' ? dotted(t.text) : t.text;
}

const dotted = (text: string): string => (text.endsWith('.') ? text : `${text}.`);

function regex(t: Token): RegExp {
  try {
    return new RegExp(t.text, 'i');
  } catch (err) {
    throw t.fail(`bad regular expression '${t.text}': ${(err as Error).message}`);
  }
}

function exactly(d: Directive, what: string, args: Token[], n: number): Token[] {
  if (args.length !== n) throw d.fail(`${what} takes ${n} arguments after the field, got ${args.length}`);
  return args;
}

function typeOf(t: Token): number {
  const v = typeFromName(t.text.toUpperCase());
  if (v === undefined) throw t.fail(`unknown record type '${t.text}'`);
  return v;
}

function classOf(t: Token): number {
  const v = CLASSES[t.text.toUpperCase()];
  if (v === undefined) throw t.fail(`unknown class '${t.text}' (IN, CH or HS)`);
  return v;
}

/** `30` (set), `10-300` (clamp), `10-` (at least), `-300` (at most). */
function ttlRange(t: Token): [number, number] {
  const m = /^(\d*)(-?)(\d*)$/.exec(t.text);
  const max32 = 2 ** 31 - 1;
  if (m === null || (m[1] === '' && m[3] === '') || (m[2] === '' && m[3] !== '')) throw t.fail(`expected a TTL or MIN-MAX, got '${t.text}'`);
  if (m[2] === '') return [Number(m[1]), Number(m[1])];
  const min = m[1] === '' ? 0 : Number(m[1]);
  const max = m[3] === '' ? max32 : Number(m[3]);
  if (min > max) throw t.fail(`the TTL range ${t.text} is empty`);
  return [min, Math.min(max, max32)];
}
