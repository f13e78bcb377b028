// A subset of the conformance variants through real clients (dig and kdig) against Unbound and
// dnsmesh side by side: each client must accept both replies (no "question section mismatch", no
// malformed warning) and read the same rcode, flags (but AA, issue 14 item 3) and answer records.
import { dig, kdig, parseDigAnswer, type DigAnswer } from '@dnsmesh/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServers, type Servers } from './harness.js';

let servers: Servers;
beforeAll(async () => { servers = await startServers(); }, 60_000);
afterAll(async () => { await servers?.stop(); });

const CASES: [string, string, string[]][] = [
  ['www.example', 'A', []],
  ['esc\\.dot.wild.example', 'A', []],
  ['sp\\032ace.example', 'A', []],
  ['\\255.example', 'A', []],
  ['\\200X.example', 'A', []],
  ['c1.example', 'A', []],
  ['x.d.example', 'A', []],
  ['unknown.example', 'TYPE65280', []],
  ['nope.example', 'A', []],
  ['www.example', 'AAAA', []],
  ['big1300.example', 'TXT', []],           // over 1232: TC over UDP, the clients retry over TCP
  ['big5000.example', 'TXT', ['+tcp']],
  ['www.signed.example', 'A', ['+dnssec']],
  ['x.wild.nsec3.example', 'A', ['+dnssec']],
  // Odd octets in DNSSEC answers: what a rebuilt reply got wrong (issue 14 item 1: "question section mismatch").
  ['esc\\.dot.wild.signed.example', 'A', ['+dnssec']],
  ['\\255.wild.signed.example', 'A', ['+dnssec']],
  ['zzz.signed.example', 'A', ['+dnssec']],
  ['nope.nsec3.example', 'A', ['+dnssec']],
];

/** What a client reads, minus what caches may differ in (TTLs, AA, the order of records). */
function shape(a: DigAnswer) {
  const rec = (r: { name: string; type: string; data: string }) => `${r.name.toLowerCase()} ${r.type} ${r.data}`;
  return { status: a.status, flags: a.flags.filter((f) => f !== 'aa').sort(), answers: a.answers.map(rec).sort() };
}

describe('real clients read dnsmesh as they read Unbound', () => {
  for (const [tool, run] of [['dig', dig], ['kdig', kdig]] as const) {
    it(`${tool}: same rcode, flags and answers; no mismatch or malformed-reply warning`, async () => {
      const problems: string[] = [];
      await Promise.all(CASES.map(async ([name, type, extra]) => {
        const ask = (port: number) => run(['@127.0.0.1', '-p', String(port), name, type, ...extra], { timeout: 15_000 });
        const [dm, ub] = await Promise.all([ask(servers.dnsmesh.port), ask(servers.unbound.port)]);
        for (const [who, out] of [['dnsmesh', dm], ['unbound', ub]] as const) {
          if (/mismatch|malformed|WARNING: Message has|FORMERR|parse error/i.test(out)) problems.push(`${tool} ${name} ${type}: ${who}: ${out}`);
        }
        const [a, b] = [shape(parseDigAnswer(dm)), shape(parseDigAnswer(ub))];
        if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${tool} ${name} ${type}: dnsmesh ${JSON.stringify(a)} vs unbound ${JSON.stringify(b)}`);
        if (a.status === undefined) problems.push(`${tool} ${name} ${type}: no reply read`);
      }));
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }
});
