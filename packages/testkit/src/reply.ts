import * as dnsPacket from 'dns-packet';
import { isOpt, type DecodedPacket, type OptRecord } from './message.js';
import { rcodeName } from './rcode.js';

export interface ReplyFlags {
  qr: boolean;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The DO bit of the OPT record. */
  do: boolean;
}

/** An Extended DNS Error (RFC 8914) option. */
export interface ExtendedError {
  code: number;
  text: string;
}

/** A decoded reply; `flags` is an object here (dns-packet's number is in `flagBits`). */
export interface Reply extends Omit<DecodedPacket, 'flags'> {
  /** 'NOERROR', 'NXDOMAIN', ..., including extended codes such as 'BADVERS' from the OPT record. */
  rcode: string;
  flags: ReplyFlags;
  flagBits: number;
  opt: OptRecord | undefined;
  ede: ExtendedError[];
  raw: Buffer;
  /** Bytes on the wire (without the TCP length prefix). */
  size: number;
}

const EDE = 15;

/** Decodes a reply; throws an error naming the size when the bytes are not a DNS message. */
export function toReply(raw: Buffer): Reply {
  let decoded: DecodedPacket;
  try {
    decoded = dnsPacket.decode(raw);
  } catch (err) {
    throw new Error(`malformed reply (${raw.length} bytes): ${(err as Error).message}`, { cause: err });
  }
  const opt = decoded.additionals.find(isOpt);
  return {
    ...decoded,
    rcode: rcodeName(((opt?.extendedRcode ?? 0) << 4) | (raw[3]! & 0x0f)),
    flags: {
      qr: decoded.flag_qr, aa: decoded.flag_aa, tc: decoded.flag_tc, rd: decoded.flag_rd,
      ra: decoded.flag_ra, ad: decoded.flag_ad, cd: decoded.flag_cd, do: opt?.flag_do ?? false,
    },
    flagBits: decoded.flags,
    opt,
    ede: (opt?.options ?? []).filter((o) => o.code === EDE && o.data !== undefined && o.data.length >= 2)
      .map((o) => ({ code: o.data!.readUInt16BE(0), text: o.data!.subarray(2).toString('utf8') })),
    raw,
    size: raw.length,
  };
}
