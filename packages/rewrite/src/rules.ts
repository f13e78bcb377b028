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

export type Rule = NameRule | TypeRule | ClassRule | TtlRule;

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
