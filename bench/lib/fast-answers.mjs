// The bench upstream's fast path for the unique-name scenarios: a UDP query for `n<i>.<zone>` A
// (i below `names`) is answered from its bytes, without decoding or encoding a message, with what
// testkit's fake upstream would send for the same table entry (AA, RD and CD echoed, one A record
// 10.(i>>16).(i>>8).i with `ttl`, an OPT of 1232 with DO echoed when the query had one), byte for
// byte the fake's reply.
// Anything else returns undefined and goes to the fake. The fake decodes and re-encodes every
// query and keeps a record of each: at 8,000 qps on the core it shares with dnsperf that was
// 40-57% of the core, enough to saturate it and to make both servers' latencies the client's.
const A = 1;
const IN = 1;
const OPT = 41;

/** A function from a query datagram to its reply (a new Buffer), or undefined when it is not ours. */
export function fastAnswers({ zone, names, ttl }) {
  const suffix = Buffer.from(`.${zone}`.split('.').filter(Boolean).map((l) => String.fromCharCode(l.length) + l).join('') + '\0', 'latin1');
  return (q) => {
    if (q.length < 12 + 1 + suffix.length + 4 || (q[2] & 0xf8) !== 0 || q.readUInt16BE(4) !== 1 || q.readUInt16BE(6) !== 0 || q.readUInt16BE(8) !== 0) return undefined;
    // First label: n<digits>, then exactly the zone's labels.
    const len = q[12];
    if (len < 2 || len > 9 || (q[13] | 0x20) !== 0x6e) return undefined;
    let i = 0;
    for (let k = 14; k < 13 + len; k++) {
      const d = q[k] - 0x30;
      if (d < 0 || d > 9) return undefined;
      i = i * 10 + d;
    }
    const nameEnd = 13 + len + suffix.length;
    if (nameEnd + 4 > q.length || i >= names) return undefined;
    for (let k = 0; k < suffix.length; k++) {
      const c = q[13 + len + k];
      const want = suffix[k];
      if (c !== want && !((want >= 0x61 && want <= 0x7a) && (c | 0x20) === want)) return undefined;
    }
    if (q.readUInt16BE(nameEnd) !== A || q.readUInt16BE(nameEnd + 2) !== IN) return undefined;
    const qEnd = nameEnd + 4;
    const ar = q.readUInt16BE(10);
    let opt = false;
    let dnssecOk = 0;
    if (ar === 1) {
      // The only additional record may be an OPT at the root: 0, type, size, ext-rcode, version, flags.
      if (qEnd + 11 > q.length || q[qEnd] !== 0 || q.readUInt16BE(qEnd + 1) !== OPT) return undefined;
      opt = true;
      dnssecOk = q[qEnd + 7] & 0x80;
    } else if (ar !== 0) {
      return undefined;
    }
    const nameLen = nameEnd - 12;
    const out = Buffer.allocUnsafe(qEnd + nameLen + 14 + (opt ? 11 : 0));
    q.copy(out, 0, 0, qEnd);
    out[2] = 0x80 | 0x04 | (q[2] & 0x01);          // QR, AA, RD echoed (opcode QUERY)
    out[3] = q[3] & 0x10;                           // CD echoed; RA clear, rcode NOERROR
    out.writeUInt16BE(1, 6);
    out.writeUInt16BE(0, 8);
    out.writeUInt16BE(opt ? 1 : 0, 10);
    let o = qEnd;
    q.copy(out, o, 12, nameEnd);                    // the owner: the question's name as asked (the fake does not compress)
    o += nameLen;
    out.writeUInt16BE(A, o); out.writeUInt16BE(IN, o + 2); out.writeUInt32BE(ttl, o + 4); out.writeUInt16BE(4, o + 8);
    out[o + 10] = 10; out[o + 11] = (i >> 16) & 255; out[o + 12] = (i >> 8) & 255; out[o + 13] = i & 255;
    o += 14;
    if (opt) {
      out[o] = 0; out.writeUInt16BE(OPT, o + 1); out.writeUInt16BE(1232, o + 3);
      out[o + 5] = 0; out[o + 6] = 0; out[o + 7] = dnssecOk; out[o + 8] = 0; out.writeUInt16BE(0, o + 9);
    }
    return out;
  };
}
