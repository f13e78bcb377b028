import { randomInt } from 'node:crypto';

/** `<random>.<random>.ZONE.` (lower case, canonical): a name nobody else asks for. */
export function probeName(zone: string): string {
  const label = (): string => String(randomInt(1, 2 ** 48 - 1));
  return zone === '.' ? `${label()}.${label()}.` : `${label()}.${label()}.${zone}`;
}
