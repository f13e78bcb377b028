// dns-packet ships no types; core keeps them out of its public API (see wire/packet.ts).
declare module 'dns-packet' {
  const dnsPacket: {
    decode(buf: Uint8Array, offset?: number): any;
    encode(packet: any, buf?: Buffer, offset?: number): Buffer;
    encodingLength(packet: any): number;
    /** encode with the 2-byte length prefix of DNS over TCP (the tests frame queries with it). */
    streamEncode(packet: any): Buffer;
  };
  export default dnsPacket;
}
