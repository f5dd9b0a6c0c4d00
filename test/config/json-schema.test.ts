/**
 * config/schema.json is the zod schema as JSON Schema (for editors), generated, checked in and in sync.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText } from '../../shared/config/json-schema.ts';
import { ConfigSchema, PoolSchema } from '../../shared/config/schema.ts';
import { REPO_ROOT } from '../events/support.ts';

const file = path.join(REPO_ROOT, 'config', 'schema.json');

describe('config/schema.json', () => {
  it('is what the zod schema generates (run `npm run schema` after changing shared/config/schema.ts)', () => {
    expect(readFileSync(file, 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes every top-level field and every pool field, with the descriptions given in .meta()', () => {
    const schema = configJsonSchema() as {
      properties: Record<string, { description?: string }>;
      additionalProperties: boolean;
      required: string[];
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(['fleets', 'version']);
    expect(schema.properties.version!.description).toMatch(/format version/);
    const fleets = schema.properties.fleets as unknown as {
      items: { properties: { pools: { items: { properties: Record<string, { description?: string }> } } } };
    };
    const pool = fleets.items.properties.pools.items.properties;
    expect(Object.keys(pool).sort()).toEqual(Object.keys(PoolSchema.shape).sort());
    expect(pool.capacityType!.description).toMatch(/spot, on-demand or reserved/);
  });

  it('is what the demo configuration points its editors to', () => {
    const demo = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'demo.json'), 'utf8')) as { $schema: string };
    expect(path.resolve(REPO_ROOT, 'config', demo.$schema)).toBe(file);
  });
});
