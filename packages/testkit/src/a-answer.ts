/**
 * The answer an upstream gives to `query` (one question, no OPT): its bytes with QR, RD and RA
 * set and one A record per address, each owner a pointer to the question's name. For tests and
 * benchmarks that need many distinct exchanges without an encoder in the loop.
 */
export function aAnswer(query: Buffer, addresses: readonly number[], ttl: number): Buffer {
  const bytes = Buffer.alloc(query.length + 16 * addresses.length);
  query.copy(bytes);
  bytes.writeUInt16BE(0x8180, 2);
  bytes.writeUInt16BE(addresses.length, 6);
  let at = query.length;
  for (const address of addresses) {
    bytes.writeUInt16BE(0xc00c, at);
    bytes.writeUInt16BE(1, at + 2);
    bytes.writeUInt16BE(1, at + 4);
    bytes.writeUInt32BE(ttl, at + 6);
    bytes.writeUInt16BE(4, at + 10);
    bytes.writeUInt32BE(address >>> 0, at + 12);
    at += 16;
  }
  return bytes;
}
