// A steady UDP client at a fixed rate that keeps every query's fate: when it was sent, its latency,
// rcode and answer TTL, whether it carried an Extended DNS Error "Stale Answer" (code 3), or that it
// was lost (no reply within the timeout). dnsperf -v prints latencies but neither send times nor
// TTLs, and the `stale` scenario needs both (which half of the run a query belongs to, and whether
// the answer was a stale one). It runs in the harness process, which run.mjs pins to the client core.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { buildQuery, toReply } from '@dnsmesh/testkit';

/**
 * Sends `rate` queries a second for `seconds` to 127.0.0.1:port, cycling over `names` (type A,
 * EDNS 1232, RD), each with `timeoutMs` to be answered. `marks` are [{ at: seconds, run: fn }],
 * called at that offset from the first query (e.g. to switch the upstream off).
 * Resolves, after the last query is answered or timed out, to
 * { records: [{ name, sentMs, latencyMs | undefined, rcode, ttl, ede3 }], late, sent, seconds }.
 */
export async function pacedLoad(port, { names, rate, seconds, timeoutMs = 5000, marks = [] }) {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => { sock.once('error', reject); sock.bind(0, '127.0.0.1', () => { sock.off('error', reject); resolve(); }); });
  const queries = names.map((name) => buildQuery(name, 'A', { edns: 1232, id: 0 }));
  const pending = new Map(); // id -> record, in send order
  const records = [];
  let late = 0;
  let nextId = Math.floor(Math.random() * 65536);

  sock.on('message', (msg) => {
    const now = performance.now();
    if (msg.length < 12) return;
    const rec = pending.get(msg.readUInt16BE(0));
    if (rec === undefined) { late++; return; } // after its timeout, or not ours
    pending.delete(msg.readUInt16BE(0));
    rec.latencyMs = now - rec.at;
    try {
      const reply = toReply(msg);
      rec.rcode = reply.rcode;
      rec.ttl = reply.answers.find((a) => a.type === 'A')?.ttl;
      rec.ede3 = reply.ede.some((e) => e.code === 3);
    } catch {
      rec.rcode = 'MALFORMED';
    }
  });

  const t0 = performance.now();
  let sent = 0;
  const total = Math.round(rate * seconds);
  const pendingMarks = [...marks].sort((a, b) => a.at - b.at);
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = now - t0;
      while (pendingMarks.length > 0 && elapsed >= pendingMarks[0].at * 1000) {
        const m = pendingMarks.shift();
        Promise.resolve().then(m.run).catch((err) => process.stderr.write(`bench: mark at ${m.at} s failed: ${err.message}\n`));
      }
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate) + 1);
      while (sent < due) {
        let id = nextId;
        while (pending.has(id)) id = (id + 1) & 0xffff;
        nextId = (id + 1) & 0xffff;
        const i = sent % names.length;
        const q = Buffer.from(queries[i]);
        q.writeUInt16BE(id, 0);
        const rec = { name: names[i], at: performance.now(), sentMs: elapsed, latencyMs: undefined, rcode: undefined, ttl: undefined, ede3: false };
        pending.set(id, rec);
        records.push(rec);
        sock.send(q, port, '127.0.0.1');
        sent++;
      }
      // Time out the oldest (the map keeps send order).
      for (const [id, rec] of pending) {
        if (now - rec.at < timeoutMs) break;
        pending.delete(id);
      }
      if (sent >= total && pending.size === 0) { clearInterval(timer); resolve(); }
    };
    const timer = setInterval(tick, 2);
    tick();
  });
  // A moment for replies to timed-out queries that are still on their way (counted as late).
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  return { records, late, sent, seconds, rate };
}

/** p-th quantile (0..1) of a sorted array. */
export function quantile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * Sums up records: answered, lost, rcodes, stale answers (EDE 3, or an answer TTL above
 * `freshTtl`, the most a fresh answer can carry), p50/p99/max latency of the answered ones (ms), and
 * the count of answers slower than `slowMs`.
 */
export function summarize(records, { freshTtl, slowMs = 1000 }) {
  const answered = records.filter((r) => r.latencyMs !== undefined);
  const lat = Float64Array.from(answered.map((r) => r.latencyMs)).sort();
  const rcodes = {};
  for (const r of answered) rcodes[r.rcode] = (rcodes[r.rcode] ?? 0) + 1;
  return {
    sent: records.length,
    answered: answered.length,
    lost: records.length - answered.length,
    noerror: rcodes.NOERROR ?? 0,
    servfail: rcodes.SERVFAIL ?? 0,
    otherRcodes: Object.entries(rcodes).filter(([k]) => k !== 'NOERROR' && k !== 'SERVFAIL').map(([k, v]) => `${k} ${v}`).join(', '),
    stale: answered.filter((r) => r.rcode === 'NOERROR' && (r.ede3 || (r.ttl !== undefined && r.ttl > freshTtl))).length,
    ede3: answered.filter((r) => r.ede3).length,
    slow: answered.filter((r) => r.latencyMs > slowMs).length,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: lat.length > 0 ? lat[lat.length - 1] : NaN,
  };
}
