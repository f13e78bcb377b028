/** One record line of dig or kdig output. Names are as printed (absolute, with the trailing dot). */
export interface DigRecord {
  name: string;
  ttl: number;
  class: string;
  type: string;
  /** The rest of the line, e.g. '10.0.0.7', '1 5 8080 web.service.consul.', '"text"'. */
  data: string;
}

export interface DigAnswer {
  /** 'NOERROR', 'NXDOMAIN', ...; undefined when no reply was printed. */
  status: string | undefined;
  /** Header flags, e.g. ['qr', 'aa', 'rd']. */
  flags: string[];
  answers: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
}

const SECTIONS = { ANSWER: 'answers', AUTHORITY: 'authority', ADDITIONAL: 'additional' } as const;

/** Reads the default output of dig or kdig (one reply; not +short, +json or +multiline). */
export function parseDigAnswer(stdout: string): DigAnswer {
  const out: DigAnswer = {
    status: /status: ([A-Z0-9_]+)/.exec(stdout)?.[1],
    flags: /^;; flags:([^;]*);/im.exec(stdout)?.[1]!.trim().split(/\s+/).filter(Boolean) ?? [],
    answers: [],
    authority: [],
    additional: [],
  };
  let section: DigRecord[] | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head !== null) {
      section = out[SECTIONS[head[1] as keyof typeof SECTIONS]];
      continue;
    }
    const rr = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*?)\s*$/.exec(line);
    if (section === undefined || rr === null || line.startsWith(';')) {
      section = undefined;
      continue;
    }
    section.push({ name: rr[1]!, ttl: Number(rr[2]), class: rr[3]!, type: rr[4]!, data: rr[5]! });
  }
  return out;
}
