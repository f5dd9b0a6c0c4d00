/**
 * Every source has a schema documented Powertools-style: a doc comment with an example payload and, for
 * cloud events, the provider's page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTBRIDGE_ROUTES } from '../../events/index.ts';
import { REPO_ROOT } from './support.ts';

const SCHEMAS = path.join(REPO_ROOT, 'events', 'schemas');
const files = readdirSync(SCHEMAS, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ name: f, text: readFileSync(path.join(SCHEMAS, f), 'utf8') }))
  .filter((f) => /export const \w+Schema\b/.test(f.text));

describe('schema documentation', () => {
  it.each(files.map((f) => [f.name, f] as const))('%s documents its schemas with an example and a link', (name, f) => {
    const schemas = [...f.text.matchAll(/export const (\w+Schema)\b/g)].map((m) => m[1]!);
    const documented = schemas.filter((s) => {
      const at = f.text.indexOf(`export const ${s}`);
      const comment = f.text.slice(0, at).match(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/);
      return comment !== null;
    });
    expect(documented, `${name}: schemas without a doc comment right above them`).toEqual(schemas);
    expect(f.text).toMatch(/@example/);
    if (!name.startsWith('ops')) expect(f.text).toMatch(/@see https:\/\//);
  });

  it('registers every EventBridge detail-type once', () => {
    const keys = EVENTBRIDGE_ROUTES.flatMap((r) => r.detailTypes.map((dt) => `${r.source} / ${dt}`));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(
      expect.arrayContaining([
        'aws.ec2 / Capacity Block Delivered',
        'aws.ec2 / Capacity Block Reservation Delivered',
        'aws.ec2 / Capacity Block Expiration Warning',
        'aws.ec2 / Capacity Block Reservation Expiration Warning',
        'aws.cloudwatch / CloudWatch Alarm State Change',
        'aws.events / Scheduled Event',
      ]),
    );
  });
});
