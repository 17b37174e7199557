#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(`sono-guard: ${err && err.message ? err.message : err}`);
    process.exitCode = 2;
  },
);
