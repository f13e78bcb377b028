/**
 * The shapes of a DNS message as dns-packet encodes and decodes them. The testkit's public types use
 * these, so they do not depend on a declaration file for dns-packet.
 */

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority?: number;
  weight?: number;
  port: number;
  target: string;
}

export interface MxData {
  preference: number;
  exchange: string;
}

export interface Question {
  name: string;
  type: string;
  class?: string;
}

/** An EDNS option. Decoded options always carry `data`; EDE (code 15) is also read into `Reply.ede`. */
export interface EdnsOption {
  code: number | string;
  type?: string;
  data?: Buffer;
  [field: string]: unknown;
}

/** A resource record. `data` depends on the type: a string for A, AAAA, CNAME, NS and PTR, Buffer[] for
 * TXT (strings or string arrays when encoding), SoaData, SrvData, MxData, or a Buffer for other types. */
export interface DnsRecord {
  name: string;
  type: string;
  class?: string;
  ttl: number;
  flush?: boolean;
  data: any;
}

/** The OPT pseudo-record (RFC 6891). */
export interface OptRecord {
  name: '.';
  type: 'OPT';
  udpPayloadSize?: number;
  extendedRcode?: number;
  ednsVersion?: number;
  flags?: number;
  flag_do?: boolean;
  options?: EdnsOption[];
}

export type AnyRecord = DnsRecord | OptRecord;

/** A message to encode. `flags` holds the header bits below QR (opcode, AA, TC, RD, RA, AD, CD, rcode). */
export interface Packet {
  type?: 'query' | 'response';
  id?: number;
  flags?: number;
  questions?: Question[];
  answers?: AnyRecord[];
  authorities?: AnyRecord[];
  additionals?: AnyRecord[];
}

/** A message as dns-packet decodes it. */
export interface DecodedPacket {
  id: number;
  type: 'query' | 'response';
  flags: number;
  flag_qr: boolean;
  opcode: string;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  flag_z: boolean;
  flag_ad: boolean;
  flag_cd: boolean;
  rcode: string;
  questions: Question[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: AnyRecord[];
}

export const isOpt = (r: AnyRecord): r is OptRecord => r.type === 'OPT';
