// The zones NSD serves in the conformance suite: every shape issue 14 names (signed with NSEC and
// NSEC3, wildcards, DNAME, CNAME chains and loops, escaped and non-ASCII labels, an unknown type,
// RRsets past 512/1232/4096 octets, NXDOMAIN/NODATA, a delegation with glue).
import { signZone } from '@dnsmesh/testkit';

/** The largest TTL in any zone here: no resolver may hand out more. */
export const MAX_ZONE_TTL = 300;

/** A TXT RRset of `count` strings of 200 octets each (about 215 octets per record on the wire). */
function bigTxt(owner: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `${owner} TXT "${String(i).padStart(3, '0')}${'x'.repeat(197)}"`).join('\n');
}

/**
 * TXT RRsets of two strings each, sized so that the answer fits in 512 octets but the answer with the
 * authority's NS and glue does not, on either side of the line (RFC 2181 §9: drop those, TC clear).
 */
export const FIT_SIZES = [200, 205, 210, 215, 220, 225] as const;
function fitTxt(): string {
  return FIT_SIZES.map((n) => [0, 1].map((i) => `fit${n} TXT "${i}${'y'.repeat(n - 1)}"`).join('\n')).join('\n');
}

export const EXAMPLE = `$ORIGIN example.
$TTL 300
@ SOA ns.example. host.example. 1 3600 600 86400 120
@ NS ns
ns A 127.0.0.1
www A 192.0.2.1
www A 192.0.2.2
www TXT "hello"
www MX 10 mail
mail A 192.0.2.25
short 5 A 192.0.2.5
zero 0 A 192.0.2.6
Mixed.Case A 192.0.2.3
*.wild A 192.0.2.10
*.wild TXT "wildcard"
esc\\.dot.wild A 192.0.2.11
sp\\032ace A 192.0.2.12
\\255 A 192.0.2.13
\\200x A 192.0.2.14
c1 CNAME c2
c2 CNAME c3
c3 CNAME www
dangling CNAME nowhere
out CNAME www.signed.example.
loop1 CNAME loop2
loop2 CNAME loop1
self CNAME self
d DNAME dtarget
x.dtarget A 192.0.2.20
unknown TYPE65280 \\# 4 01020304
_http._tcp SRV 0 5 80 www
${fitTxt()}
${bigTxt('big600', 3)}
${bigTxt('big1300', 7)}
${bigTxt('big5000', 25)}
sub NS ns.sub
ns.sub A 127.0.0.2
`;

function signedZone(origin: string): string {
  return `$ORIGIN ${origin}
$TTL 300
@ SOA ns.${origin} host.${origin} 1 3600 600 86400 120
@ NS ns
ns A 127.0.0.1
www A 192.0.2.30
*.wild A 192.0.2.31
cn CNAME www
esc\\.dot A 192.0.2.32
\\200x A 192.0.2.33
`;
}

/** Every zone, the signed ones signed now (fresh keys each run: nothing validates them). */
export async function conformanceZones(): Promise<Record<string, string>> {
  const [nsec, nsec3] = await Promise.all([
    signZone({ origin: 'signed.example.', zone: signedZone('signed.example.') }),
    signZone({ origin: 'nsec3.example.', zone: signedZone('nsec3.example.'), nsec3: true }),
  ]);
  return { 'example.': EXAMPLE, 'signed.example.': nsec.text, 'nsec3.example.': nsec3.text };
}
