// The differential conformance suite (issue 14): NSD serves the zones in zones.ts; Unbound (the
// reference) and dnsmesh (cache + forward) sit side by side in front of it; every variant in
// variants.ts goes to both, cold then warm, and the replies are compared structurally (compare.ts).
// A difference passes only when the table in expected.ts lists it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReplies, learnTruth, type Difference, type Truth } from './compare.js';
import { EXPECTED, type Pass } from './expected.js';
import { OPEN_BUGS } from './open-bugs.js';
import { bounded, exchange, startServers, type Servers } from './harness.js';
import { allVariants, type Variant } from './variants.js';

interface Finding { variant: Variant; pass: Pass; diff: Difference }

const variants = allVariants();
let servers: Servers;
const findings: Finding[] = [];
const truth: Truth = new Map();

/** Variants that share a cache entry run one after another (so both caches see the same order). */
function groups(list: Variant[]): Variant[][] {
  const byKey = new Map<string, Variant[]>();
  for (const v of list) {
    const key = v.spec === undefined ? v.id : `${v.spec.qname.toLowerCase()} ${v.spec.qtype} ${v.spec.qclass ?? 1}`;
    byKey.set(key, [...(byKey.get(key) ?? []), v]);
  }
  return [...byKey.values()];
}

async function runPass(pass: Pass): Promise<void> {
  let id = pass === 'cold' ? 1 : 30001;
  await bounded(groups(variants).map((group) => async () => {
    for (const v of group) {
      const qid = id++;
      let [dm, ub] = await Promise.all([exchange(servers.dnsmesh.address, v, qid), exchange(servers.unbound.address, v, qid)]);
      // A datagram lost on a loaded machine is not a difference: as a client would, ask once more
      // whichever server was silent when the other answered.
      if (v.transport === 'udp' && (dm === undefined) !== (ub === undefined)) {
        if (dm === undefined) dm = await exchange(servers.dnsmesh.address, v, qid);
        else ub = await exchange(servers.unbound.address, v, qid);
      }
      // RFC 4892 §2: an identity answer names the server asked, never its upstream.
      if (v.tags.has('chaos') && dm !== undefined && /NSD/i.test(dm.toString('latin1'))) {
        findings.push({ variant: v, pass, diff: { field: 'identity', dnsmesh: 'NSD\'s identity passed on', unbound: '-' } });
      }
      for (const diff of compareReplies(v, v.bytes(qid), dm, ub, truth)) findings.push({ variant: v, pass, diff });
    }
  }), 24);
}

beforeAll(async () => {
  servers = await startServers();
  // What the authority itself says: the TTL bound of every RRset (over TCP, so nothing is cut).
  await bounded(variants.filter((v) => v.spec !== undefined).map((v) => async () => {
    learnTruth(truth, await exchange(servers.nsd.address, { ...v, transport: 'tcp' }, 7, 2000));
  }), 16);
  await runPass('cold');
  await runPass('warm');
}, 120_000);

afterAll(async () => { await servers?.stop(); });

const listed = (f: Finding) => EXPECTED.find((e) => e.field === f.diff.field && e.when(f.variant, f.pass)
  && e.dnsmesh.test(f.diff.dnsmesh) && e.unbound.test(f.diff.unbound));

const openBug = (f: Finding) => OPEN_BUGS.find((e) => e.field === f.diff.field && e.when(f.variant, f.pass)
  && e.dnsmesh.test(f.diff.dnsmesh) && e.unbound.test(f.diff.unbound));


function show(f: Finding): string {
  return `${f.pass} ${f.variant.id} | ${f.diff.field} | dnsmesh: ${f.diff.dnsmesh} | unbound: ${f.diff.unbound}`;
}

describe('differential conformance: dnsmesh and Unbound in front of NSD', () => {
  it('covers what issue 14 names: zones, types, classes, opcodes, flags, EDNS, malformed queries, UDP and TCP', () => {
    expect(variants.length).toBeGreaterThan(300);
    const tags = new Set(variants.flatMap((v) => [...v.tags]));
    for (const tag of ['dnssec', 'wildcard', 'dname', 'cname', 'cname-loop', 'escaped', 'non-ascii', 'unknown-type', 'big',
      'nxdomain', 'nodata', 'referral', 'meta-type', 'axfr', 'ixfr', 'any', 'class', 'chaos', 'opcode', 'rd0', 'cd', 'ad', 'hz',
      'do', 'edns-size', 'edns-version', 'cookie', 'bad-cookie', 'nsid', 'unknown-option', 'opt-z', 'bad-opt', 'malformed']) {
      expect(tags, tag).toContain(tag);
    }
    expect(new Set(variants.map((v) => v.transport))).toEqual(new Set(['udp', 'tcp']));
    // The suite really compared something: Unbound answered most variants.
    expect(truth.size).toBeGreaterThan(40);
  });

  it('answers every variant as Unbound does, but for the differences the table lists', () => {
    const unlisted = findings.filter((f) => listed(f) === undefined && openBug(f) === undefined).map(show);
    expect(unlisted, `${unlisted.length} unlisted differences:\n${unlisted.join('\n')}`).toEqual([]);
  });

  it('still shows every open bug it accepts for now (a fixed one must leave open-bugs.ts)', () => {
    const fixed = OPEN_BUGS.filter((b) => !findings.some((f) => listed(f) === undefined && openBug(f) === b)).map((b) => `${b.issue}: ${b.variants} | ${b.field}`);
    expect(fixed, `open bugs that no longer happen:\n${fixed.join('\n')}`).toEqual([]);
  });

  it('lists no difference that does not happen', () => {
    const unused = EXPECTED.filter((e) => e.optional !== true && !findings.some((f) => listed(f) === e)).map((e) => `${e.variants} | ${e.field}`);
    expect(unused, `table rows that matched nothing:\n${unused.join('\n')}`).toEqual([]);
  });
});
