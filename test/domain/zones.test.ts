import { describe, expect, it } from 'vitest';
import type { Cloud } from '../../shared/domain/types.ts';
import { azureZoneNumber, zoneInPool } from '../../shared/domain/zones.ts';

describe("zoneInPool: a notice zone in the pool's spelling", () => {
  it.each<[string, Cloud, string, string[], Record<string, string> | undefined, string | undefined]>([
    ['Azure Event Grid spelling against a pool of numbers', 'azure', 'eastus-az2', ['1', '2'], undefined, '2'],
    ['Azure topology label against numbers', 'azure', 'eastus-2', ['1', '2'], undefined, '2'],
    ['Azure number against topology labels', 'azure', '1', ['eastus-1', 'eastus-2'], undefined, 'eastus-1'],
    ['Azure upper case', 'azure', 'EastUS-AZ2', ['2'], undefined, '2'],
    ['Azure zone the pool does not use', 'azure', 'eastus-az3', ['1', '2'], undefined, undefined],
    // Zone 2 of another region is not the pool's zone 2 (the pool's zone names say its region).
    [
      'Azure zone of another region against topology labels',
      'azure',
      'westus-az2',
      ['eastus-1', 'eastus-2'],
      undefined,
      undefined,
    ],
    ['AWS name as is', 'aws', 'us-east-1a', ['us-east-1a', 'us-east-1b'], undefined, 'us-east-1a'],
    [
      'AWS zone id through the account alias',
      'aws',
      'use1-az4',
      ['us-east-1a', 'us-east-1b'],
      { 'use1-az4': 'us-east-1b' },
      'us-east-1b',
    ],
    // Zone ids map to names per account: no alias, no guess.
    ['AWS zone id without an alias', 'aws', 'use1-az1', ['us-east-1a'], undefined, undefined],
    ['AWS pool that lists zone ids', 'aws', 'use1-az1', ['use1-az1'], undefined, 'use1-az1'],
    ['AWS other zone', 'aws', 'us-east-1c', ['us-east-1a'], undefined, undefined],
    ['GCP name', 'gcp', 'US-CENTRAL1-A', ['us-central1-a'], undefined, 'us-central1-a'],
    // A GCP zone is not an Azure number: no digit trick outside Azure.
    ['GCP does not read numbers', 'gcp', '2', ['us-central1-b'], undefined, undefined],
  ])('%s', (_, cloud, zone, poolZones, aliases, expected) => {
    expect(zoneInPool(cloud, zone, poolZones, aliases)).toBe(expected);
  });

  it("an Azure zone naming another region than the pool's is none of its zones; its own region's, or a bare number, is", () => {
    expect(zoneInPool('azure', 'westus-az2', ['1', '2'], undefined, 'eastus')).toBeUndefined();
    expect(zoneInPool('azure', 'eastus2-2', ['1', '2'], undefined, 'eastus')).toBeUndefined();
    expect(zoneInPool('azure', 'EastUS-AZ2', ['1', '2'], undefined, 'eastus')).toBe('2');
    expect(zoneInPool('azure', '2', ['1', '2'], undefined, 'eastus')).toBe('2');
    expect(zoneInPool('azure', '2', ['eastus-1', 'eastus-2'], undefined, 'eastus')).toBe('eastus-2');
  });

  it.each([
    ['2', '2'],
    ['eastus-az2', '2'],
    ['eastus2-3', '3'],
    ['az1', '1'],
    ['us-east-1a', undefined],
    ['12', undefined],
  ])('azureZoneNumber(%s) = %s', (zone, n) => {
    expect(azureZoneNumber(zone)).toBe(n);
  });
});
