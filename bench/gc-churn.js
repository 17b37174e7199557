// Why the in-flight requests are a linked list and the cache's fills a
// null-prototype object (server/inflight.ts, runtime/string-dict.ts): a Map or
// Set with an add and a delete per event, once its hash table has reached the
// old generation, makes V8 promote what it held through every scavenge.
//
//   node bench/gc-churn.js
//
// Each mode runs in a child with --trace-gc-nvp: 50 live entries of ~2 kB,
// one replaced per event, 3M events; the table is let age first (as an idle
// proxy's would). Prints the average bytes promoted per scavenge.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODES = ['set', 'map', 'dict', 'none'];

if (process.argv[2]) {
  const mode = process.argv[2];
  const set = new Set();
  const map = new Map();
  const dict = Object.create(null);
  const live = [];
  let n = 0;
  const add = (k, v) => {
    if (mode === 'set') set.add(v);
    else if (mode === 'map') map.set(k, v);
    else if (mode === 'dict') dict[k] = v;
    live.push([k, v]);
  };
  const drop = () => {
    const [k, v] = live.shift();
    if (mode === 'set') set.delete(v);
    else if (mode === 'map') map.delete(k);
    else if (mode === 'dict') delete dict[k];
  };
  const entry = () => add(`GET\n/item/${n++}`, { payload: new Array(250).fill(n) });
  for (let i = 0; i < 50; i++) entry();
  // Scavenges while the table is untouched: it is promoted, as after an idle spell.
  let junk;
  for (let i = 0; i < 3e5; i++) junk = new Array(20).fill(i);
  void junk;
  const work = () => {
    for (let i = 0; i < 2000; i++) {
      entry();
      drop();
    }
    if (n < 3e6) setImmediate(work);
  };
  setTimeout(work, 10);
} else {
  console.log('| container | scavenges | promoted per scavenge |\n|---|--:|--:|');
  for (const mode of MODES) {
    const r = spawnSync(process.execPath, ['--trace-gc-nvp', fileURLToPath(import.meta.url), mode], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const promoted = [...r.stdout.matchAll(/gc=s .*?promoted=(\d+)/g)].map((m) => Number(m[1])).slice(-200);
    const avg = promoted.reduce((a, b) => a + b, 0) / Math.max(1, promoted.length);
    const label = { set: 'Set (add/delete)', map: 'Map (set/delete)', dict: 'null-prototype object (assign/delete)', none: 'nothing (the entries alone)' }[mode];
    console.log(`| ${label} | ${promoted.length} | ${(avg / 1024).toFixed(0)} kB |`);
  }
}
