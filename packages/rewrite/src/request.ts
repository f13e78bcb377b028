import { DnsMessage, HEADER_SIZE } from '@dnsmesh/core';
import { nameTextToWire } from './name-text.js';

/**
 * The query with another question (name as text, type, class): the header and everything after
 * the question (the OPT) copied as they are. A query's OPT has the root as owner, so no pointer
 * moves.
 */
export function rewriteQuestion(request: DnsMessage, name: string, type: number, klass: number): DnsMessage {
  const buf = request.bytes;
  const qEnd = request.questionEnd;
  const wire = nameTextToWire(name);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(klass, 2);
  return new DnsMessage(Buffer.concat([buf.subarray(0, HEADER_SIZE), wire, tail, buf.subarray(qEnd)]));
}
