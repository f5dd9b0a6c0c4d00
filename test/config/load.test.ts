import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import { DEFAULT_CATALOG } from '../../shared/domain/catalog.ts';
import { rpsPerNode, MODEL_PRESETS } from '../../shared/domain/capacity.ts';

const demoPath = fileURLToPath(new URL('../../config/demo.json', import.meta.url));

describe('configuration', () => {
  it('loads the demo configuration and resolves prices and throughput from the catalog and capacity model', async () => {
    const r = await loadConfigFile(demoPath);
    const fleet = r.fleets[0]!;
    expect(fleet.id).toBe('llm-demo');
    const spot = fleet.pools.find((p) => p.id === 'aws-g5-spot')!;
    expect(spot.hourlyPrice).toBe(DEFAULT_CATALOG.instanceTypes['g5.xlarge']!.spotHourly);
    expect(spot.rpsPerNode).toBeCloseTo(rpsPerNode(DEFAULT_CATALOG, MODEL_PRESETS['llama3-8b'], 'g5.xlarge', 12_000));
    // Reserved capacity is already paid: its marginal price is 0.
    expect(fleet.pools.find((p) => p.id === 'aws-p5-capacity-block')!.hourlyPrice).toBe(0);
    // The fleet's policy layers over the defaults: HPA defaults kept, the file's placement and budget applied.
    expect(fleet.policy.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(fleet.policy.safety.hourlyBudgetUsd).toBe(200);
    expect(r.schedules['llm-demo']![0]!.timeZone).toBe('America/New_York');
  });

  it.each([
    [
      'a missing field',
      { version: 1, fleets: [{ id: 'f', pools: [{ id: 'p', kind: 'gcp-mig' }] }] },
      'fleets[0].pools[0].resource',
    ],
    [
      'an unknown pool kind',
      {
        version: 1,
        fleets: [
          {
            id: 'f',
            pools: [
              {
                id: 'p',
                kind: 'gke',
                resource: 'x',
                region: 'r',
                zones: ['a'],
                instanceType: 'g5.xlarge',
                capacityType: 'spot',
                max: 1,
              },
            ],
          },
        ],
      },
      'fleets[0].pools[0].kind',
    ],
    [
      'min above max',
      {
        version: 1,
        fleets: [
          {
            id: 'f',
            workload: 'llama3-8b',
            pools: [
              {
                id: 'p',
                kind: 'auto-scaling-group',
                resource: 'x',
                region: 'r',
                zones: ['a'],
                instanceType: 'g5.xlarge',
                capacityType: 'spot',
                min: 3,
                max: 1,
              },
            ],
          },
        ],
      },
      'fleets[0].pools[0].min',
    ],
    ['a fleet without pools', { version: 1, fleets: [{ id: 'f', pools: [] }] }, 'fleets[0].pools'],
    [
      'a bad time zone',
      {
        version: 1,
        fleets: [
          {
            id: 'f',
            workload: 'llama3-8b',
            pools: [
              {
                id: 'p',
                kind: 'auto-scaling-group',
                resource: 'x',
                region: 'r',
                zones: ['a'],
                instanceType: 'g5.xlarge',
                capacityType: 'spot',
                max: 1,
              },
            ],
          },
        ],
        schedules: [{ name: 's', fleets: ['f'], timeZone: 'Mars/Olympus_Mons', start: '08:00', end: '18:00' }],
      },
      'schedules[0].timeZone',
    ],
    [
      'an alarm for no fleet',
      {
        version: 1,
        fleets: [
          {
            id: 'f',
            workload: 'llama3-8b',
            pools: [
              {
                id: 'p',
                kind: 'auto-scaling-group',
                resource: 'x',
                region: 'r',
                zones: ['a'],
                instanceType: 'g5.xlarge',
                capacityType: 'spot',
                max: 1,
              },
            ],
          },
        ],
        alarms: [{ alarm: 'a', fleetId: 'g' }],
      },
      'alarms[0].fleetId',
    ],
    ['an unknown field (a typo is not ignored)', { version: 1, fleet: [] }, 'fleets'],
  ])('rejects %s with the field path', (_name, value, path) => {
    try {
      parseConfig(value, 'test.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).path).toBe(path);
      expect((e as Error).message).toMatch(/^test\.json: /);
    }
  });

  it('names the pool whose instance type is unknown to the catalog and has no price', () => {
    const config = parseConfig({
      version: 1,
      fleets: [
        {
          id: 'f',
          workload: 'llama3-8b',
          pools: [
            {
              id: 'p',
              kind: 'auto-scaling-group',
              resource: 'x',
              region: 'r',
              zones: ['a'],
              instanceType: 'x9.huge',
              capacityType: 'on-demand',
              max: 1,
            },
          ],
        },
      ],
    });
    expect(() => resolveConfig(config, 'c.json')).toThrow(/fleets\[0\]\.pools\[0\]\.hourlyPrice/);
  });
});
