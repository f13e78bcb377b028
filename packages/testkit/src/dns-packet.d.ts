// The part of dns-packet 5.x that the testkit uses (the package ships no types).
declare module 'dns-packet' {
  export function encode(packet: import('./message.js').Packet): Buffer;
  export function decode(buf: Buffer): import('./message.js').DecodedPacket;
  export const AUTHORITATIVE_ANSWER: number;
  export const TRUNCATED_RESPONSE: number;
  export const RECURSION_DESIRED: number;
  export const RECURSION_AVAILABLE: number;
  export const AUTHENTIC_DATA: number;
  export const CHECKING_DISABLED: number;
  export const DNSSEC_OK: number;
}
