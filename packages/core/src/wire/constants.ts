/** Byte offsets and bit masks of the DNS header (RFC 1035 §4.1.1). */
export const HEADER_SIZE = 12;
export const OFF_ID = 0;
export const OFF_FLAGS = 2;
export const OFF_QDCOUNT = 4;
export const OFF_ANCOUNT = 6;
export const OFF_NSCOUNT = 8;
export const OFF_ARCOUNT = 10;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
export const OPCODE_SHIFT = 11;
export const OPCODE_MASK = 0x7800;
export const RCODE_MASK = 0x000f;

export const Rcode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, BADVERS: 16,
} as const;
export type RcodeValue = number;

const RCODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Rcode).map(([k, v]) => [v, k]),
);
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const RRType = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35,
  DNAME: 39, OPT: 41, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, SVCB: 64, HTTPS: 65,
  TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, CAA: 257,
} as const;
const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(RRType).map(([k, v]) => [v, k]),
);
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}
export function typeFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  if (upper in RRType) return RRType[upper as keyof typeof RRType];
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  return m ? Number(m[1]) : undefined;
}

export const CLASS_IN = 1;
/** CHAOS (RFC 1035): `version.bind` and friends, answered by the chaos plugin. */
export const CLASS_CH = 3;

/** EDNS(0) option codes we produce or skip. */
export const EdnsOption = { COOKIE: 10, PADDING: 12, EDE: 15 } as const;
/** Extended DNS Error info-codes (RFC 8914) that dnsmesh sets. */
export const Ede = {
  OTHER: 0, STALE_ANSWER: 3, STALE_NXDOMAIN: 19, NOT_SUPPORTED: 21, NO_REACHABLE_AUTHORITY: 22, NETWORK_ERROR: 23,
} as const;

/** The UDP payload size dnsmesh advertises and answers up to (DNS flag day 2020). */
export const DEFAULT_EDNS_SIZE = 1232;
export const MIN_UDP_SIZE = 512;
