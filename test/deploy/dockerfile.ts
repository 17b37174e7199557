// A small Dockerfile reader for the deploy tests (no Docker engine here):
// instructions with continuation lines joined, grouped by build stage.

export interface Instruction { cmd: string; args: string }
export interface Stage { name: string | null; from: string; instructions: Instruction[] }

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue; // comments, also between continuation lines
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (!full) continue;
    const m = /^(\S+)\s*(.*)$/.exec(full)!;
    instructions.push({ cmd: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const i of instructions) {
    if (i.cmd === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
      const from = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? '');
      stages.push({ name: m[2] ?? null, from, instructions: [] });
    } else if (stages.length === 0) {
      if (i.cmd === 'ARG') {
        const [k, v = ''] = i.args.split('=');
        args[k!] = v;
      }
    } else {
      stages.at(-1)!.instructions.push(i);
    }
  }
  return { args, stages };
}

/** `COPY [--from=X] [--chown=..] SRC... DEST` → sources, destination and `from`. */
export function parseCopy(args: string): { from: string | null; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice(7);
  }
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

/**
 * Whether `.dockerignore` keeps `file` (a path relative to the context) in the
 * build context: the last pattern matching the path or one of its parents
 * decides, `!` re-includes (Docker's rule). Patterns: `*` within one segment.
 */
export function dockerignoreKeeps(dockerignore: string, file: string): boolean {
  const patterns = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const parts = file.replace(/\/+$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const body = (negate ? p.slice(1) : p).replace(/^\/+|\/+$/g, '');
    if (body.includes('**')) throw new Error(`.dockerignore pattern ${p}: "**" is not supported by this reader`);
    const re = new RegExp('^' + body.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
    if (prefixes.some((q) => re.test(q))) excluded = !negate;
  }
  return !excluded;
}
