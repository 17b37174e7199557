#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
    // Everything is closed by now; never let a stray handle keep a stopped proxy alive.
    setTimeout(() => process.exit(), 2000).unref();
  },
  (err) => {
    console.error(`sono-guard: ${err && err.message ? err.message : err}`);
    process.exitCode = 2;
  },
);
