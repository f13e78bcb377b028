// Prints the workspace folders of @dnsmesh/server and of every @dnsmesh package it needs
// (dependencies and optional ones, such as the UDP addon), one a line, read from the package.json
// files: a new plugin of the server needs no change in the image's build. Run from the repo root.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const dirs = new Map();
for (const group of ['packages', 'apps']) {
  for (const dir of readdirSync(group)) {
    const file = `${group}/${dir}/package.json`;
    if (existsSync(file)) dirs.set(read(file).name, `${group}/${dir}`);
  }
}
const need = new Set(['@dnsmesh/server']);
for (const name of need) {
  const pkg = read(`${dirs.get(name)}/package.json`);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) if (dirs.has(dep)) need.add(dep);
}
console.log([...need].map((name) => dirs.get(name)).join('\n'));
