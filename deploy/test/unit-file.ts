// A systemd unit file read into sections of key=value lines (a key may repeat), comments dropped.
export type Unit = Record<string, [key: string, value: string][]>;

export function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: [string, string][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { section = unit[header[1]!] ??= []; continue; }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 0) throw new Error(`not a unit line: ${line}`);
    section.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return unit;
}

/** Every value of a key in a section, in order. */
export const values = (unit: Unit, section: string, key: string): string[] =>
  (unit[section] ?? []).filter(([k]) => k === key).map(([, v]) => v);
