import { readFileSync } from 'node:fs';
import type { ServerBlock } from '@dnsmesh/core';

// For the "every README example loads" tests of plugin packages.

/** The Corefile examples of a README (```corefile and ~~~ corefile fences), in order; `edit` adjusts each (paths, ...). */
export function readmeCorefiles(readme: URL, edit: (text: string) => string = (text) => text): string[] {
  const text = readFileSync(readme, 'utf8');
  return [...text.matchAll(/^(```|~~~) ?corefile\n([\s\S]*?)^\1/gm)].map((m) => edit(m[2]!));
}

/** Loads each Corefile example of a README with `load`; gives the plugin names of each example's blocks. */
export async function loadReadmeExamples(
  readme: URL, load: (text: string) => Promise<ServerBlock[]>, edit?: (text: string) => string,
): Promise<string[][]> {
  const out: string[][] = [];
  for (const text of readmeCorefiles(readme, edit)) out.push((await load(text)).flatMap((b) => b.plugins.map((p) => p.name)));
  return out;
}
