import v8 from 'node:v8';

/**
 * V8 flags for the garbage collector. First the young generation, where every query's short-lived
 * objects go (about 0.8 KB a cache hit). Measured at 20k hits a second (bench/tail.mjs, its probe's GC figures):
 *
 * - Node starts the young generation at 1 MB a semi-space and grows it only when objects survive;
 *   DNS objects die young, so it stays small (and shrinks back to 1 MB after a quiet spell): about
 *   79 scavenges per 60k hits, 8 ms of pauses a second, right at the p99. 16 MB from the start:
 *   5 scavenges per 60k hits, about 1 ms a second; it costs about 11 MB of RSS.
 * - But not more than 8 MB (min = max = 8): under a flood of new names what does survive is the
 *   cache's new entries, so a scavenge's pause grows with the time since the last one, and a pause
 *   d every T adds about d²/2T to the average answer (plus the queue it leaves). Measured with
 *   `--trace-gc` over 8 s of 8,000 new names a second after 5 s of others: at 16 MB 50-61 scavenges
 *   of 3-4 ms (Σd² 77-92 ms² a second); at 8 MB 97-98 of 1.5 ms (Σd² 30-35), fewer ms in all
 *   (151-153 against 175-199); at 4 MB, 198 (Σd² 29-31, 210 ms in all: each pause's fixed part).
 *   Alternating floods of the same build (`-warmup` on): average 0.30-0.41 ms against 0.34-1.33 ms
 *   after a warm flood, 0.31-0.34 against 0.34-0.68 on a fresh server (4 runs each).
 * - A scavenge with helper threads waits for them, and they wait for a core: dnsmesh runs one
 *   process per core (`-workers`), so there is none free, and a scavenge took 1.3 ms on average
 *   against 0.4 ms on the main thread alone (so few objects survive that helpers have little to do).
 *
 * And `--single-threaded-gc`: no helper threads for the old generation either (concurrent marking and
 * sweeping, parallel compaction). They too wait for a core that one process per core does not have;
 * meanwhile a full collection's marking was joined on the main thread in steps of 11-19 ms (`--trace-gc`:
 * "biggest step"), every few seconds under a flood of new names, each a stall of 30-60 ms in the
 * answers. On the main thread alone the steps are about 1 ms, the pause about 5 ms. Measured with a
 * flood of 8,000 new names a second on one core after 5 s of others, alternating with the old flags:
 * average latency 0.29-0.45 ms against 0.42-1.79 ms (7 runs each, two sessions); `--no-concurrent-marking`
 * alone did not do it (0.43-1.53 ms). It costs forwarding at full load about 8% of its queries per
 * CPU-second (`bench/quick.mjs --forward --base`, new ÷ old 0.915); the cache-hit path is unchanged (0.989).
 * V8 cannot take this one once running (setting it at run time aborted the process in a collection).
 *
 * And one for the compiler, `--no-lazy-feedback-allocation`: V8 records what a function has seen
 * (the feedback its optimising compiler works from) only from the function's ninth call on, so a
 * branch taken in the first eight calls alone leaves no trace. The start-up warm-up (./warmup/)
 * takes some paths only a few times (an upstream's first reply, a client's first address), and the
 * code compiled without them was thrown away at their first use in the real server (`--trace-deopt`:
 * the forward's `#ask` at an upstream's first RTT sample, the acl's `#decide` at a new client address).
 * With the flag, the flood of new names after the warm-up compiled 24-30 functions, against 31-38.
 * Its cost: the feedback of every function called once, no measurable RSS (108-111 MB idle either way);
 * throughput unchanged or better (`bench/quick.mjs --base` against the same build without it, 3 pairs:
 * cache hits 1.020, forwarding 1.177).
 */
export const START_FLAGS: readonly string[] = ['--min-semi-space-size=8', '--max-semi-space-size=8', '--single-threaded-gc', '--no-lazy-feedback-allocation'];

/** What `applyRuntimeGcFlags` sets, unless the command line already says otherwise. */
const RUNTIME_FLAGS: readonly (readonly [flag: string, name: string])[] = [['--no-parallel-scavenge', 'parallel-scavenge']];

/**
 * The runtime flags to set, given node's own command line: one the operator set there either way
 * (`--parallel-scavenge`, `--no-parallel-scavenge`) is left alone.
 */
export function runtimeGcFlags(execArgv: readonly string[]): string[] {
  const given = (name: string) => execArgv.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));
  return RUNTIME_FLAGS.filter(([, name]) => !given(name)).map(([flag]) => flag);
}

/**
 * Sets the flags V8 reads at each collection (so they work however node was started, unlike
 * START_FLAGS, which the launcher's `#!` line gives). Returns what it set.
 */
export function applyRuntimeGcFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const flags = runtimeGcFlags(execArgv);
  for (const f of flags) v8.setFlagsFromString(f);
  return flags;
}
