/**
 * Writes policies/schema.json from the policy schema (src/config/schema.ts).
 *
 *   npx tsx scripts/gen-schema.ts           regenerate
 *   npx tsx scripts/gen-schema.ts --check   exit 1 when the committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPolicyJsonSchema } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('../policies/schema.json', import.meta.url));
const text = renderPolicyJsonSchema();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch { /* missing counts as out of date */ }
  if (current !== text) {
    console.error('policies/schema.json is out of date: run `npx tsx scripts/gen-schema.ts`');
    process.exit(1);
  }
  console.log('policies/schema.json is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote policies/schema.json (${text.length} bytes)`);
}
