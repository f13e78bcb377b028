import { keyAtOrBelow, presentationKey } from '@dnsmesh/core';

/** Zone names (presentation form, from the Corefile or code) as name keys, made once per zone. */
const keys = new Map<string, string>();

export function zoneKey(zone: string): string {
  let key = keys.get(zone);
  if (key === undefined) {
    key = presentationKey(zone);
    keys.set(zone, key);
  }
  return key;
}

/** True when the name key lies at or below one of the zones (compared as octets, ASCII case folded). */
export function inZones(name: string, zones: readonly string[]): boolean {
  for (const z of zones) if (keyAtOrBelow(name, zoneKey(z))) return true;
  return false;
}

/** True when caching of a kind is disabled for the name. */
export function isDisabled(name: string, zones: readonly string[]): boolean {
  return zones.length > 0 && inZones(name, zones);
}
