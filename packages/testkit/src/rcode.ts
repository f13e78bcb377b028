/** Response codes by name, including the extended ones (RFC 6891) that need the OPT record's upper bits. */
export const RCODES: Readonly<Record<string, number>> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7,
  NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, BADVERS: 16, BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20,
  BADALG: 21, BADTRUNC: 22, BADCOOKIE: 23,
};

const NAMES = new Map(Object.entries(RCODES).map(([name, code]) => [code, name]));

/** 3 -> 'NXDOMAIN'; an unassigned code -> 'RCODE_11'. */
export function rcodeName(code: number): string {
  return NAMES.get(code) ?? `RCODE_${code}`;
}

/** 'nxdomain' -> 3; throws a TypeError naming the value when it is not a known rcode. */
export function rcodeValue(name: string): number {
  const code = RCODES[name.toUpperCase()];
  if (code === undefined) throw new TypeError(`unknown rcode '${name}' (expected one of ${Object.keys(RCODES).join(', ')})`);
  return code;
}
