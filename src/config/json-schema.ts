import * as z from 'zod';
import { PolicySchema } from './schema.js';

/**
 * JSON Schema of the policy file as operators write it (`io: 'input'`:
 * durations and sizes as strings, optional fields optional), for editors
 * (`# yaml-language-server: $schema=./schema.json`) and `sono-guard schema`.
 * Committed as policies/schema.json; regenerate with `npx tsx scripts/gen-schema.ts`.
 */

export const POLICY_SCHEMA_ID = 'urn:sono-guard:policy:v1';

export function policyJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(PolicySchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: 'sono-guard policy file',
    description: 'Rate limits, circuit breakers, caching and routes for the sono-guard sidecar proxy (version 1).',
    ...schema,
  };
}

/** The exact text of policies/schema.json. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
