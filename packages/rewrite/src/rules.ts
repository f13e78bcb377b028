/** How a name rule matches (CoreDNS's match types). */
export type NameMatch = 'exact' | 'prefix' | 'suffix' | 'substring' | 'regex';

/** What happens after a rule matched: `stop` (the default) ends the rule list, `continue` goes on. */
export type Mode = 'stop' | 'continue';

export interface NameRule {
  readonly field: 'name';
  readonly mode: Mode;
  readonly match: NameMatch;
  /** Lower case; with the trailing dot for exact and suffix. A RegExp for regex. */
  readonly from: string | RegExp;
  /** For regex, `{1}`... are the groups. */
  readonly to: string;
  /** `answer auto`: answer owner names equal to the rewritten name go back to the client's name. */
  readonly answerAuto: boolean;
  /** `answer name FROM TO`: owner names in the answer matching FROM (regex) become TO. */
  readonly answerName: readonly (readonly [RegExp, string])[];
  /** `answer value FROM TO`: names in the answer's RDATA (CNAME, NS, PTR, MX, SRV targets) matching FROM become TO. */
  readonly answerValue: readonly (readonly [RegExp, string])[];
}

export interface TypeRule { readonly field: 'type'; readonly mode: Mode; readonly from: number; readonly to: number }
export interface ClassRule { readonly field: 'class'; readonly mode: Mode; readonly from: number; readonly to: number }

/** `ttl [MATCH] NAME TTL|MIN-MAX|MIN-|-MAX`: answer TTLs for matching names set or clamped. */
export interface TtlRule {
  readonly field: 'ttl';
  readonly mode: Mode;
  readonly match: NameMatch;
  readonly from: string | RegExp;
  readonly min: number;
  readonly max: number;
}

/** What an edns0 rule does to the option list (CoreDNS's actions). */
export type EdnsAction = 'set' | 'append' | 'replace' | 'unset';

/** Values `edns0 local` can take from the query (CoreDNS's variables). */
export type EdnsVariable = '{qname}' | '{qtype}' | '{client_ip}' | '{client_port}' | '{protocol}' | '{server_ip}' | '{server_port}';

/** The data an edns0 rule puts in its option. */
export type EdnsData =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }                    // local with fixed data; nsid (empty)
  | { readonly kind: 'variable'; readonly variable: EdnsVariable }        // local {client_ip} ...
  | { readonly kind: 'subnet'; readonly v4: number; readonly v6: number }; // ECS from the client's address

/** `edns0 local|nsid|subnet set|append|replace|unset ... [revert]`. */
export interface EdnsRule {
  readonly field: 'edns0';
  readonly mode: Mode;
  readonly option: 'local' | 'nsid' | 'subnet';
  readonly action: EdnsAction;
  readonly code: number;
  /** Undefined for unset. */
  readonly data: EdnsData | undefined;
  /** Accepted as CoreDNS's: dnsmesh's replies never carry the option anyway (the edge writes its own OPT). */
  readonly revert: boolean;
}

/** `cname [MATCH] FROM TO`: a CNAME target in the answer matching FROM becomes TO, and TO is looked up. */
export interface CnameRule {
  readonly field: 'cname';
  readonly mode: Mode;
  readonly match: NameMatch;
  /** Lower case; with the trailing dot for exact. A RegExp for regex. */
  readonly from: string | RegExp;
  readonly to: string;
}

/** `rcode [MATCH] NAME FROM TO`: the reply's rcode FROM becomes TO for names matching NAME. */
export interface RcodeRule {
  readonly field: 'rcode';
  readonly mode: Mode;
  readonly match: NameMatch;
  readonly from: string | RegExp;
  readonly fromRcode: number;
  readonly toRcode: number;
}

export type Rule = NameRule | TypeRule | ClassRule | TtlRule | EdnsRule | CnameRule | RcodeRule;

/** The name `name` (lower case, trailing dot) becomes under a name rule, or undefined when the rule does not match. */
export function applyName(rule: { match: NameMatch; from: string | RegExp; to?: string }, name: string): string | undefined {
  const from = rule.from;
  const to = rule.to ?? '';
  switch (rule.match) {
    case 'exact': return name === from ? to : undefined;
    case 'prefix': return name.startsWith(from as string) ? to + name.slice((from as string).length) : undefined;
    case 'suffix': return name.endsWith(from as string) ? name.slice(0, name.length - (from as string).length) + to : undefined;
    case 'substring': return name.includes(from as string) ? name.split(from as string).join(to) : undefined;
    case 'regex': {
      const m = (from as RegExp).exec(name);
      return m === null ? undefined : expandGroups(to, m);
    }
  }
}

/** `{0}`, `{1}`, ... in TO replaced by the regex's match and groups (CoreDNS's template). */
export function expandGroups(to: string, m: RegExpExecArray): string {
  return to.replace(/\{(\d+)\}/g, (_, n: string) => m[Number(n)] ?? '');
}

/** True when a name matches a ttl rule's NAME. */
export function matchesName(rule: { match: NameMatch; from: string | RegExp }, name: string): boolean {
  return applyName({ ...rule, to: '' }, name) !== undefined;
}
