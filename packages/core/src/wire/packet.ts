import dnsPacket from 'dns-packet';

/** A record as dns-packet decodes it; `data` depends on the type (string for A/AAAA/CNAME, objects for SRV, SOA, ...). */
export interface DecodedRecord {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  flush?: boolean;
  data?: unknown;
  [field: string]: unknown;
}

/** A whole message as dns-packet decodes it. Only plugins that need records pay for this. */
export interface DecodedMessage {
  id?: number;
  type?: 'query' | 'response';
  flags?: number;
  rcode?: string;
  opcode?: string;
  questions?: { name: string; type: string; class?: string }[];
  answers?: DecodedRecord[];
  authorities?: DecodedRecord[];
  additionals?: DecodedRecord[];
  [field: string]: unknown;
}

export function decodePacket(bytes: Uint8Array): DecodedMessage {
  return dnsPacket.decode(bytes) as DecodedMessage;
}

/** Encodes without name compression (dns-packet's limit): use for built answers, never to pass an upstream's on. */
export function encodePacket(packet: DecodedMessage): Buffer {
  return dnsPacket.encode(packet);
}
