// A small part of Consul's ?filter= language, enough for tag and meta selections:
//   Service.Tags contains "x"   "x" in Service.Tags   "x" not in Service.Tags
//   Node.Meta.az == "a"         Service.Port != "80"  (clauses joined with `and`)
// Clauses outside this subset are ignored (treated as true), not rejected.

const CLAUSE = [
  { re: /^"([^"]*)"\s+(not\s+in|in)\s+([\w.-]+)$/i, parts: (m: RegExpMatchArray) => ({ value: m[1]!, op: m[2]!.toLowerCase().startsWith('not') ? 'not in' : 'in', path: m[3]! }) },
  { re: /^([\w.-]+)\s+(not\s+contains|contains)\s+"([^"]*)"$/i, parts: (m: RegExpMatchArray) => ({ value: m[3]!, op: m[2]!.toLowerCase().startsWith('not') ? 'not in' : 'in', path: m[1]! }) },
  { re: /^([\w.-]+)\s*(==|!=)\s*"([^"]*)"$/, parts: (m: RegExpMatchArray) => ({ value: m[3]!, op: m[2]!, path: m[1]! }) },
] as const;

export function compileFilter(expr: string | null): (entry: Record<string, unknown>) => boolean {
  if (expr === null || expr.trim() === '') return () => true;
  const tests = expr.split(/\s+and\s+/i).map((c) => clause(c.trim().replace(/^\((.*)\)$/, '$1').trim()));
  return (entry) => tests.every((t) => t(entry));
}

function clause(text: string): (entry: Record<string, unknown>) => boolean {
  for (const { re, parts } of CLAUSE) {
    const m = text.match(re);
    if (m === null) continue;
    const { value, op, path } = parts(m);
    return (entry) => {
      const got = select(entry, path.split('.'));
      const has = Array.isArray(got) ? got.map(String).includes(value)
        : typeof got === 'string' ? got.includes(value)
          : got !== null && typeof got === 'object' ? value in got : false;
      if (op === 'in') return has;
      if (op === 'not in') return !has;
      const equal = got !== undefined && String(got) === value;
      return op === '==' ? equal : !equal;
    };
  }
  return () => true;
}

function select(value: unknown, path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
