// One seeded generator for the whole workspace: the Consul simulator's seedable shuffle, testkit's
// socket fuzzer and the fuzz tests that print a seed to replay. Not for anything secret (IDs and
// ports use node:crypto).

/** mulberry32: 32 bits of state, numbers in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
