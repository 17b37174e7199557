#!/usr/bin/env node
// Summarise a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof`):
//   node bench/profile.js FILE.cpuprofile [--top N] [--by file]
// Prints self time per function (or per file) as a share of the busy time,
// with (garbage collector), (program) and (idle) shown apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const file = args.find((a) => a.endsWith('.cpuprofile'));
if (!file) {
  console.error('usage: node bench/profile.js FILE.cpuprofile [--top N] [--by file]');
  process.exit(2);
}
const top = Number(args.includes('--top') ? args[args.indexOf('--top') + 1] : 30);
const byFile = args.includes('--by') && args[args.indexOf('--by') + 1] === 'file';

const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
// Sample i lasted timeDeltas[i + 1] (the gap to the next sample), attributed to samples[i].
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const id = prof.samples[i];
  self.set(id, (self.get(id) ?? 0) + dt);
}

const short = (url) => {
  if (!url) return '';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) return p.slice(nm + 'node_modules/'.length);
  const dist = p.indexOf('/dist/');
  return dist !== -1 ? p.slice(dist + 1) : path.basename(p);
};

const totals = new Map();
let all = 0;
for (const [id, t] of self) {
  const n = nodes.get(id);
  const cf = n.callFrame;
  const special = cf.functionName.startsWith('(') ? cf.functionName : null;
  const key = special ?? (byFile ? short(cf.url) || '(native)' : `${cf.functionName || '(anonymous)'} ${short(cf.url)}:${cf.lineNumber + 1}`);
  totals.set(key, (totals.get(key) ?? 0) + t);
  all += t;
}
const idle = totals.get('(idle)') ?? 0;
const busy = all - idle;
console.log(`${path.basename(file)}: ${(all / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy; shares below are of busy time`);
console.log(`(garbage collector) ${(((totals.get('(garbage collector)') ?? 0) / busy) * 100).toFixed(1)}%  (program, i.e. native/outside JS) ${(((totals.get('(program)') ?? 0) / busy) * 100).toFixed(1)}%`);
const rows = [...totals].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [k, t] of rows) console.log(`${((t / busy) * 100).toFixed(1).padStart(5)}%  ${k}`);
