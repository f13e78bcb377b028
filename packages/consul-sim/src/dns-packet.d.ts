// The part of dns-packet (a CommonJS package without types) that the simulator uses.
declare module 'dns-packet' {
  namespace dnsPacket {
    interface Question { name: string; type: string; class?: string }
    interface SrvData { port: number; target: string; priority?: number; weight?: number }
    interface SoaData {
      mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number;
    }
    interface EdnsOption {
      code: number | string; type?: string; data?: Buffer;
      family?: number; sourcePrefixLength?: number; scopePrefixLength?: number; ip?: string;
    }
    /** One resource record; `data` depends on `type`, OPT uses the EDNS fields instead. */
    interface Answer {
      name: string; type: string; class?: string; ttl?: number;
      data?: string | Buffer | Array<string | Buffer> | SrvData | SoaData;
      udpPayloadSize?: number; extendedRcode?: number; ednsVersion?: number; flags?: number;
      options?: EdnsOption[];
    }
    interface Packet {
      id?: number; type?: 'query' | 'response'; flags?: number;
      questions: Question[]; answers: Answer[]; authorities: Answer[]; additionals: Answer[];
    }
    interface Decoded extends Packet {
      opcode: string; rcode: string;
      flag_aa: boolean; flag_tc: boolean; flag_rd: boolean; flag_ra: boolean;
    }
  }
  const dnsPacket: {
    encode(packet: dnsPacket.Packet): Buffer;
    decode(buf: Buffer): dnsPacket.Decoded;
    streamEncode(packet: dnsPacket.Packet): Buffer;
    encodingLength(packet: dnsPacket.Packet): number;
    readonly AUTHORITATIVE_ANSWER: number;
    readonly TRUNCATED_RESPONSE: number;
    readonly RECURSION_DESIRED: number;
    readonly RECURSION_AVAILABLE: number;
  };
  export = dnsPacket;
}
