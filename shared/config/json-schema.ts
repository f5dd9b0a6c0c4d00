/**
 * The configuration's JSON Schema, generated from the zod schema (`z.toJSONSchema`, descriptions from each
 * field's `.meta()`), for editors: `config/schema.json` is this, checked in and kept in sync by a test
 * (`npm run schema` writes it). It describes the file as written (defaults make fields optional).
 */
import { z } from 'zod';
import { ConfigSchema } from './schema.ts';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, {
    target: 'draft-2020-12',
    io: 'input',
    // Refinements (a time zone that exists, HH:MM) cannot be said in JSON Schema: the loader checks them.
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'GPU fleet autoscaler configuration',
    description: 'Fleets, pools, policies, alarms and schedules (JSON or YAML). See README.md, "Configuration".',
    ...schema,
  };
}

/** The text of config/schema.json. */
export const configJsonSchemaText = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
