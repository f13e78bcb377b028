// systemd's named system call sets (@system-service, ...), as this machine's systemd-analyze lists
// them, expanded: what a unit's SystemCallFilter= lets through.
import { execFileSync } from 'node:child_process';

export function syscallSets(): Map<string, string[]> {
  const sets = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of execFileSync('systemd-analyze', ['syscall-filter', '--no-pager'], { encoding: 'utf8' }).split('\n')) {
    const header = /^(@[a-z-]+)/.exec(line);
    if (header) { sets.set(header[1]!, current = []); continue; }
    const entry = /^\s+([@a-z0-9_-]+)\s*$/.exec(line);
    if (entry && current) current.push(entry[1]!);
  }
  return sets;
}

export function expand(sets: Map<string, string[]>, name: string, into = new Set<string>()): Set<string> {
  if (!name.startsWith('@')) { into.add(name); return into; }
  const entries = sets.get(name);
  if (entries === undefined) throw new Error(`systemd-analyze lists no set ${name}`);
  for (const e of entries) expand(sets, e, into);
  return into;
}

/** What SystemCallFilter= lines allow: allow lists intersect, ~deny lists subtract. */
export function allowedBy(filters: readonly string[], sets = syscallSets()): Set<string> {
  let allowed: Set<string> | undefined;
  const denied = new Set<string>();
  for (const filter of filters) {
    const deny = filter.startsWith('~');
    const names = new Set<string>();
    for (const word of filter.replace(/^~/, '').split(/\s+/).filter(Boolean)) expand(sets, word, names);
    if (deny) for (const n of names) denied.add(n);
    else allowed = allowed === undefined ? names : new Set([...allowed].filter((n) => names.has(n)));
  }
  if (allowed === undefined) throw new Error('no allow list in SystemCallFilter=');
  return new Set([...allowed].filter((n) => !denied.has(n)));
}
