// The Dockerfile read into stages (dockerfile-ast, the parser of the Docker language server), with
// ARG defaults put into FROM lines: what the docker test checks and then runs without Docker.
import { DockerfileParser } from 'dockerfile-ast';

export interface Instruction { readonly keyword: string; readonly flags: string[]; readonly args: string; readonly line: number }
export interface Stage { readonly name: string | undefined; readonly image: string; readonly instructions: Instruction[] }

export function parseDockerfile(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    const flags = 'getFlags' in i ? (i as unknown as { getFlags(): { toString(): string }[] }).getFlags().map((f) => f.toString()) : [];
    const ins = { keyword: i.getKeyword(), flags, args: i.getArgumentsContent() ?? '', line: i.getRange().start.line + 1 };
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=');
      if (name && value !== undefined) args.set(name.trim(), value.trim());
    } else if (ins.keyword === 'FROM') {
      const from = ins.args.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get((a ?? b)!) ?? '');
      const [image, as, name] = from.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, image: image!, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** The exec form of CMD (a JSON array) or of HEALTHCHECK (CMD and a JSON array). */
export function execForm(args: string): string[] {
  const json = /^(?:CMD\s+)?(\[.*\])\s*$/s.exec(args)?.[1];
  if (json === undefined) throw new Error(`not an exec form: ${args}`);
  return JSON.parse(json) as string[];
}
