/**
 * Configuration files as editors and people write them: YAML beside JSON, a `$schema` key, and every
 * problem listed at once (not only the first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile, parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import { REPO_ROOT } from '../events/support.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'config-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const demo = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'demo.json'), 'utf8')) as Record<string, unknown>;

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('no error');
}

describe('configuration formats', () => {
  it('reads YAML (.yaml and .yml) to the same configuration as JSON', async () => {
    const json = await loadConfigFile(path.join(REPO_ROOT, 'config', 'demo.json'));
    for (const ext of ['yaml', 'yml']) {
      const file = path.join(tmp, `demo.${ext}`);
      writeFileSync(file, `# the demo, in YAML\n${stringify(demo)}`);
      expect((await loadConfigFile(file)).fleets).toEqual(json.fleets);
    }
  });

  it('names the file and the line of a YAML syntax error', async () => {
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, 'version: 1\nfleets:\n  - id: a\n   pools: [\n');
    await expect(loadConfigFile(file)).rejects.toThrow(/bad\.yaml: [\s\S]*not valid YAML: .*line \d+, column \d+/);
  });

  it('accepts $schema (what editors read) and nothing else unknown', () => {
    expect(() => parseConfig({ $schema: './schema.json', ...demo })).not.toThrow();
    expect(errorOf(() => parseConfig({ $schemas: './schema.json', ...demo })).message).toMatch(/\$schemas/);
  });

  it('lists every issue of the schema, each with its path', () => {
    const fleets = demo.fleets as Array<Record<string, unknown>>;
    const pools = fleets[0]!.pools as Array<Record<string, unknown>>;
    const bad = {
      ...demo,
      fleets: [
        {
          ...fleets[0],
          pools: [
            { ...pools[0], max: -1 },
            { ...pools[1], capacityType: 'cheap' },
          ],
        },
      ],
      audit: { ttlDays: 0 },
    };
    const e = errorOf(() => parseConfig(bad, 'c.json'));
    expect(e.issues.map((i) => i.path).sort()).toEqual(
      ['audit.ttlDays', 'fleets[0].pools[0].max', 'fleets[0].pools[1].capacityType'].sort(),
    );
    expect(e.message).toMatch(/^c\.json: 3 problems:\n {2}\S/);
  });

  it('lists every cross-field issue and every pool that cannot be resolved', () => {
    const pool = (id: string, over: Record<string, unknown> = {}) => ({
      id,
      kind: 'auto-scaling-group',
      resource: id,
      region: 'r',
      zones: ['a'],
      instanceType: 'g5.xlarge',
      capacityType: 'spot',
      max: 1,
      ...over,
    });
    const cross = errorOf(() =>
      parseConfig({
        version: 1,
        fleets: [
          { id: 'f', workload: 'llama3-8b', pools: [pool('p', { min: 3 }), pool('q', { capacityType: 'reserved' })] },
        ],
        alarms: [{ alarm: 'a', fleetId: 'g' }],
      }),
    );
    expect(cross.issues.map((i) => i.path)).toEqual([
      'fleets[0].pools[0].min',
      'fleets[0].pools[1].reservationId',
      'alarms[0].fleetId',
    ]);
    const unresolved = errorOf(() =>
      resolveConfig(
        parseConfig({
          version: 1,
          fleets: [
            {
              id: 'f',
              workload: 'llama3-8b',
              pools: [
                pool('p', { instanceType: 'x9.huge', capacityType: 'on-demand' }),
                pool('q', { instanceType: 'y1.big' }),
              ],
            },
          ],
        }),
      ),
    );
    expect(unresolved.issues.map((i) => i.path)).toEqual([
      'fleets[0].pools[0].hourlyPrice',
      'fleets[0].pools[1].hourlyPrice',
    ]);
  });
});
