import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import type { AnyRecord, EdnsOption } from './message.js';

export interface BuildQueryOptions {
  /** Add an OPT record advertising this UDP size; false (the default) sends none. */
  edns?: number | false;
  /** Set DO in the OPT record (adds one with UDP size 1232 when `edns` is false). */
  do?: boolean;
  cd?: boolean;
  /** Default true. */
  rd?: boolean;
  /** Default: random. */
  id?: number;
  /** EDNS options, e.g. a cookie `{ code: 10, data }` (adds OPT with UDP size 1232 when `edns` is false). */
  ednsOptions?: EdnsOption[];
}

/** The bytes of a query, to send as is or to alter first. */
export function buildQuery(name: string, type = 'A', opts: BuildQueryOptions = {}): Buffer {
  const { rd = true, cd = false } = opts;
  const wantsOpt = opts.do === true || (opts.ednsOptions?.length ?? 0) > 0;
  const udpSize = opts.edns === false || opts.edns === undefined ? (wantsOpt ? 1232 : undefined) : opts.edns;
  const additionals: AnyRecord[] = udpSize === undefined ? [] : [{
    type: 'OPT', name: '.', udpPayloadSize: udpSize, flags: opts.do === true ? dnsPacket.DNSSEC_OK : 0,
    options: opts.ednsOptions ?? [],
  }];
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? randomInt(0, 65_536),
    flags: (rd ? dnsPacket.RECURSION_DESIRED : 0) | (cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type, class: 'IN' }],
    additionals,
  });
}
