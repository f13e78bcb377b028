// The per-response shuffle (notes §2.6), seedable so tests can predict the subset a reply keeps.

import { mulberry32 } from '@dnsmesh/prng';

/** mulberry32: small, fast and good enough for picking an order. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** Fisher-Yates on a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
