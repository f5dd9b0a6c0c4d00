/**
 * A configuration file is JSON or YAML (README.md, "Configuration"): any valid configuration written in YAML
 * reads as the same document as its JSON. `PROP_RUNS` sets the runs (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../shared/config/load.ts';
import { validDoc } from './config-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };

describe('configuration formats: properties', () => {
  it('reads a configuration written in YAML as the same document as its JSON', async () => {
    await fc.assert(
      fc.asyncProperty(validDoc, async (doc) => {
        expect(await parseConfigText(stringify(doc), 'c.yaml')).toEqual(
          await parseConfigText(JSON.stringify(doc), 'c.json'),
        );
      }),
      RUNS,
    );
  });
});
