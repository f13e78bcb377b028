/**
 * The semver ranges a plugin's `core` field may use, as npm reads them: exact (`0.1.0`, `=0.1.0`),
 * `^`, `~`, `>`, `>=`, `<`, `<=`, x-ranges (`0.1.x`, `0.x`, `*`, `0.1`), hyphen ranges
 * (`0.1.0 - 0.3`), several comparators in a row (AND) and `||` (OR). A prerelease version
 * satisfies a range only when a comparator of the same set names a prerelease of the same
 * major.minor.patch (npm's rule). Small on purpose: the registry checks one range per plugin.
 */

interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly (string | number)[];
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator { readonly op: Op; readonly v: Version }

const NUM = '0|[1-9]\\d*';
const PART = `${NUM}|x|X|\\*`;
const IDENT = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`);
const PARTIAL = new RegExp(`^v?(${PART})(?:\\.(${PART})(?:\\.(${PART})(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?)?)?$`);

/** `1.2.3-rc.1` as numbers; undefined when it is not a full version. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim().replace(/^=/, ''));
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: prerelease(m[4]) };
}

/** True when `version` lies in `range`. Throws a TypeError when either is not valid semver. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (v === undefined) throw new TypeError(`'${version}' is not a semver version`);
  return parseRange(range).some((set) => testSet(set, v));
}

/** True when `range` is a range `satisfies` understands. */
export function validRange(range: string): boolean {
  try {
    parseRange(range);
    return true;
  } catch {
    return false;
  }
}

function prerelease(text: string | undefined): (string | number)[] {
  if (text === undefined) return [];
  return text.split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id));
}

function compare(a: Version, b: Version): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  // A version without prerelease ranks above every prerelease of it.
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1; // numeric identifiers rank below alphanumeric ones
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function testSet(set: readonly Comparator[], v: Version): boolean {
  for (const c of set) {
    const d = compare(v, c.v);
    const ok = c.op === '=' ? d === 0 : c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : d >= 0;
    if (!ok) return false;
  }
  if (v.pre.length === 0) return true;
  return set.some((c) => c.v.pre.length > 0 && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch);
}

/** OR of ANDs of comparators; an empty AND matches everything. */
function parseRange(range: string): Comparator[][] {
  return range.split('||').map((alt) => {
    const text = alt.trim().replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1');
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    if (hyphen !== null) return [...lowerBound(partial(hyphen[1]!, range)), ...upperBound(partial(hyphen[2]!, range))];
    if (text === '') return [];
    return text.split(/\s+/).flatMap((word) => comparators(word, range));
  });
}

interface Loose { major?: number; minor?: number; patch?: number; pre: (string | number)[] }

function partial(text: string, range: string): Loose {
  const m = PARTIAL.exec(text);
  if (m === null) throw new TypeError(`'${range}' is not a semver range`);
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  return { major, minor, patch, pre: patch === undefined ? [] : prerelease(m[4]) };
}

const v = (major: number, minor: number, patch: number, pre: (string | number)[] = []): Version => ({ major, minor, patch, pre });
/** The smallest version of the next major/minor/patch: `<2.0.0-0` keeps 2.0.0's prereleases out. */
const below = (major: number, minor: number, patch: number): Comparator => ({ op: '<', v: v(major, minor, patch, [0]) });

function lowerBound(p: Loose): Comparator[] {
  if (p.major === undefined) return [];
  return [{ op: '>=', v: v(p.major, p.minor ?? 0, p.patch ?? 0, p.pre) }];
}

function upperBound(p: Loose): Comparator[] {
  if (p.major === undefined) return [];
  if (p.minor === undefined) return [below(p.major + 1, 0, 0)];
  if (p.patch === undefined) return [below(p.major, p.minor + 1, 0)];
  return [{ op: '<=', v: v(p.major, p.minor, p.patch, p.pre) }];
}

function comparators(word: string, range: string): Comparator[] {
  const m = /^(<=|>=|<|>|=|\^|~)?(.*)$/.exec(word)!;
  const op = m[1] ?? '';
  const p = partial(m[2]!, range);
  const { major, minor, patch, pre } = p;
  if (major === undefined) return op === '<' || op === '>' ? [{ op: '<', v: v(0, 0, 0, [0]) }] : [];
  switch (op) {
    case '^': {
      const lower = lowerBound(p);
      if (major > 0 || minor === undefined) return [...lower, below(major + 1, 0, 0)];
      if (minor > 0 || patch === undefined) return [...lower, below(0, minor + 1, 0)];
      return [...lower, below(0, 0, patch + 1)];
    }
    case '~':
      return [...lowerBound(p), minor === undefined ? below(major + 1, 0, 0) : below(major, minor + 1, 0)];
    case '>=':
      return lowerBound(p);
    case '<=':
      return upperBound(p);
    case '>':
      if (minor === undefined) return [{ op: '>=', v: v(major + 1, 0, 0) }];
      if (patch === undefined) return [{ op: '>=', v: v(major, minor + 1, 0) }];
      return [{ op: '>', v: v(major, minor, patch, pre) }];
    case '<':
      return [{ op: '<', v: v(major, minor ?? 0, patch ?? 0, minor === undefined || patch === undefined ? [0] : pre) }];
    default: // '' or '=': exact, or the x-range it spells
      if (patch !== undefined) return [{ op: '=', v: v(major, minor!, patch, pre) }];
      return [...lowerBound(p), ...upperBound(p)];
  }
}
