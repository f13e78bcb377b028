// A cache table in shared memory (a SharedArrayBuffer here; a memfd mapped by each worker process
// in the design of bench/README.md, "Shared cache across workers"): what bench/shared-cache.mjs
// measures the read path of. Set-associative: a key's hash picks a set of WAYS fixed-size records;
// each record is guarded by a sequence lock (even: stable, odd: being written), so readers take no
// lock and never block a writer: they copy what they need, then check that the sequence did not
// move. Writers claim a record with a compare-and-swap on its sequence.
//
// Record (RECORD bytes, 8-aligned):
//   0  seq        i32   even = stable, odd = being written
//   4  hash       i32   hash of the key (0 = empty)
//   8  expiresAt  f64   ms, on a clock every worker shares (performance.timeOrigin + performance.now())
//   16 storedAt   f64
//   24 keyLen     u16
//   26 wireLen    u16   the message, then one u16 TTL offset per record (as a CacheEntry's `wire`)
//   28 qEnd       u16
//   30 records    u16
//   32 key bytes, then wire bytes
export const RECORD = 256;
export const HEADER = 32;
export const WAYS = 8;

/** FNV-1a over a latin1 key string (what DnsMessage.key is). */
export function hashKey(key) {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h === 0 ? 1 : h;
}

export class SharedTable {
  /** `sab`: a SharedArrayBuffer of `sets * WAYS * RECORD` bytes (all zero: empty). */
  constructor(sab) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    this.u16 = new Uint16Array(sab);
    this.u8 = new Uint8Array(sab);
    this.sets = sab.byteLength / (WAYS * RECORD);
    if (!Number.isInteger(this.sets) || (this.sets & (this.sets - 1)) !== 0) throw new Error('sets must be a power of two');
    this.retries = 0;
  }

  static create(entries) {
    let sets = 1;
    while (sets * WAYS < entries * 1.25) sets *= 2;
    return new SharedTable(new SharedArrayBuffer(sets * WAYS * RECORD));
  }

  /**
   * Stores `wire` (with its TTL offsets) under `key`: in the set's record holding the key, else
   * an empty or expired one, else the one stored longest ago. Returns false when every candidate
   * is being written by someone else (the caller keeps the answer in its own cache only).
   */
  put(key, wire, qEnd, records, storedAt, expiresAt) {
    if (HEADER + key.length + wire.length > RECORD) return false;
    const h = hashKey(key);
    const base = ((h >>> 0) & (this.sets - 1)) * WAYS;
    let victim = -1;
    let oldest = Infinity;
    for (let w = 0; w < WAYS; w++) {
      const r = (base + w) * RECORD;
      const rh = this.i32[(r >> 2) + 1];
      if (rh === h && this.#keyEquals(r, key)) { victim = r; break; }
      const t = rh === 0 ? -Infinity : this.f64[(r >> 3) + 2];
      if (t < oldest) { oldest = t; victim = r; }
    }
    const seqAt = victim >> 2;
    const s = Atomics.load(this.i32, seqAt);
    if ((s & 1) !== 0 || Atomics.compareExchange(this.i32, seqAt, s, s + 1) !== s) return false;
    this.i32[seqAt + 1] = h;
    this.f64[(victim >> 3) + 1] = expiresAt;
    this.f64[(victim >> 3) + 2] = storedAt;
    const u16 = victim >> 1;
    this.u16[u16 + 12] = key.length;
    this.u16[u16 + 13] = wire.length;
    this.u16[u16 + 14] = qEnd;
    this.u16[u16 + 15] = records;
    const u8 = this.u8;
    let p = victim + HEADER;
    for (let i = 0; i < key.length; i++) u8[p++] = key.charCodeAt(i);
    u8.set(wire, p);
    Atomics.store(this.i32, seqAt, s + 2);
    return true;
  }

  #keyEquals(r, key) {
    if (this.u16[(r >> 1) + 12] !== key.length) return false;
    const u8 = this.u8;
    for (let i = 0, p = r + HEADER; i < key.length; i++, p++) if (u8[p] !== key.charCodeAt(i)) return false;
    return true;
  }

  /**
   * A hit's read path: finds `key`, checks it is fresh at `now`, copies the message (without the
   * TTL offsets) into `out` at `at` as the edge does, and checks the record did not change
   * meanwhile. Returns the bytes copied, 0 for a miss (or a stale entry), -1 when the record
   * changed while it was read three times running (the caller treats it as a miss).
   */
  read(key, now, out, at) {
    const h = hashKey(key);
    const base = ((h >>> 0) & (this.sets - 1)) * WAYS;
    const i32 = this.i32;
    for (let attempt = 0; attempt < 3; attempt++) {
      let found = -1;
      let s1 = 0;
      for (let w = 0; w < WAYS; w++) {
        const r = (base + w) * RECORD;
        s1 = Atomics.load(i32, r >> 2);
        if ((s1 & 1) !== 0 || i32[(r >> 2) + 1] !== h) continue;
        if (this.#keyEquals(r, key)) { found = r; break; }
      }
      if (found < 0) return 0;
      const expiresAt = this.f64[(found >> 3) + 1];
      const u16 = found >> 1;
      const wireLen = this.u16[u16 + 13];
      const records = this.u16[u16 + 15];
      const length = wireLen - 2 * records;
      const from = found + HEADER + this.u16[u16 + 12];
      const u8 = this.u8;
      // Lengths read while a writer was at work may be anything: never copy past the record.
      const n = from + length <= found + RECORD && length > 0 ? length : 0;
      for (let i = 0; i < n; i++) out[at + i] = u8[from + i];
      // A read-modify-write, not a plain load: a full fence on every platform, so none of the
      // reads above can be ordered after it.
      if (Atomics.add(i32, found >> 2, 0) !== s1 || n === 0) { this.retries++; continue; }
      return now < expiresAt ? n : 0;
    }
    return -1;
  }
}
