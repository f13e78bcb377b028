#!/usr/bin/env node
// Gives every workspace package the same registry metadata (repository with its directory,
// homepage, bugs, license) and a copy of the root LICENSE, so each package's npm page links back
// here. Run after adding a package: `node scripts/package-metadata.mjs` (the pack test checks it).
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = 'https://github.com/dnsmesh/dnsmesh';
const root = fileURLToPath(new URL('..', import.meta.url));

for (const group of ['packages', 'apps', 'examples']) {
  for (const name of readdirSync(join(root, group)).sort()) {
    const dir = `${group}/${name}`;
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    pkg.license ??= 'MIT';
    pkg.repository = { type: 'git', url: `git+${REPOSITORY}.git`, directory: dir };
    pkg.homepage = `${REPOSITORY}/tree/main/${dir}#readme`;
    pkg.bugs = { url: `${REPOSITORY}/issues` };
    // Keep the conventional key order near the top: name, version, description, license, then these.
    const order = ['name', 'version', 'private', 'description', 'license', 'repository', 'homepage', 'bugs'];
    const sorted = Object.fromEntries([...order.filter((k) => k in pkg).map((k) => [k, pkg[k]]), ...Object.entries(pkg).filter(([k]) => !order.includes(k))]);
    writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
    copyFileSync(join(root, 'LICENSE'), join(root, dir, 'LICENSE'));
  }
}
