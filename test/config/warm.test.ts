import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import { DEFAULT_RESUME_SECONDS, DISK_PRICES, HOURS_PER_MONTH, warmHourlyPrice } from '../../shared/domain/warm.ts';

const pool = (over: Record<string, unknown> = {}) => ({
  id: 'p',
  kind: 'auto-scaling-group',
  resource: 'x',
  region: 'r',
  zones: ['a'],
  instanceType: 'g5.xlarge',
  capacityType: 'on-demand',
  max: 8,
  ...over,
});
const config = (over: Record<string, unknown> = {}) => ({
  version: 1,
  fleets: [{ id: 'f', workload: 'llama3-8b', pools: [pool(over)] }],
});
const errorOf = (value: unknown): ConfigError => {
  try {
    resolveConfig(parseConfig(value));
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('warm capacity in the configuration', () => {
  it.each([
    [
      'an EC2 Fleet',
      { kind: 'ec2-fleet', resource: 'fleet-598fb973-87b7-422d-be4d-6b0809bfff0a', warm: { max: 2 } },
      'fleets[0].pools[0].warm',
      /ec2-fleet pool cannot/,
    ],
    [
      'an EKS node group',
      { kind: 'eks-nodegroup', resource: 'gpu-demo/ng-gpu', warm: { max: 2 } },
      'fleets[0].pools[0].warm',
      /eks-nodegroup/,
    ],
    [
      'a Karpenter NodePool',
      { kind: 'karpenter-nodepool', warm: { max: 2 } },
      'fleets[0].pools[0].warm',
      /karpenter-nodepool/,
    ],
    ['a spot group', { capacityType: 'spot', warm: { max: 2 } }, 'fleets[0].pools[0].warm', /Spot Instances/],
    [
      'an ASG suspended',
      { warm: { max: 2, state: 'suspended' } },
      'fleets[0].pools[0].warm.state',
      /stopped or hibernated/,
    ],
    [
      'a scale set hibernated',
      {
        kind: 'azure-vmss',
        scope: '00000000-1111-2222-3333-444444444444/rg-gpu',
        warm: { max: 2, state: 'hibernated' },
      },
      'fleets[0].pools[0].warm.state',
      /stopped, not hibernated/,
    ],
    ['min above max', { warm: { min: 3, max: 2 } }, 'fleets[0].pools[0].warm.min', /above max/],
    ['an unknown field', { warm: { max: 2, size: 3 } }, 'fleets[0].pools[0].warm', /size/],
    ['a GCP disk on AWS', { diskType: 'pd-ssd', warm: { max: 2 } }, 'fleets[0].pools[0].diskType', /gcp disk/],
  ])('refuses warm capacity on %s, naming the field', (_name, over, field, message) => {
    const e = errorOf(config(over));
    expect(e.path).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('resolves defaults: stopped, the state resume time, gp3 x 100 GB per hour', () => {
    const p = resolveConfig(parseConfig(config({ warm: { max: 4 } }))).fleets[0]!.pools[0]!;
    expect(p.warm).toMatchObject({ min: 0, max: 4, state: 'stopped', diskType: 'gp3', diskGb: 100 });
    expect(p.warm!.resumeSeconds).toBe(DEFAULT_RESUME_SECONDS.stopped);
    // 100 GB x $0.08 per GB-month / 730 h = $0.01096 per hour: about 1% of the g5.xlarge's $1.01.
    expect(p.warm!.hourlyPrice).toBeCloseTo((100 * 0.08) / 730, 6);
    expect(p.warm!.hourlyPrice / p.hourlyPrice).toBeLessThan(0.02);
  });

  it.each([
    [
      'azure-vmss',
      {
        kind: 'azure-vmss',
        scope: '00000000-1111-2222-3333-444444444444/rg-gpu',
        instanceType: 'Standard_NC24ads_A100_v4',
      },
      'premium-ssd',
    ],
    ['gcp-mig', { kind: 'gcp-mig', scope: 'gpu-project', instanceType: 'g2-standard-4' }, 'pd-balanced'],
  ])('a %s pool defaults to its cloud disk', (_kind, over, disk) => {
    const p = resolveConfig(parseConfig(config({ ...over, warm: { max: 1 } }))).fleets[0]!.pools[0]!;
    expect(p.warm!.diskType).toBe(disk);
  });

  it('prices a suspended node with its memory kept on disk, and takes a given price or disk as is', () => {
    const suspended = resolveConfig(
      parseConfig(
        config({
          kind: 'gcp-mig',
          scope: 'gpu-project',
          instanceType: 'g2-standard-4',
          diskType: 'pd-ssd',
          diskGb: 200,
          warm: { max: 1, state: 'suspended', resumeSeconds: 45 },
        }),
      ),
    ).fleets[0]!.pools[0]!;
    // g2-standard-4 has 16 GiB of memory: (200 + 16) GB x $0.17 / 730.
    expect(suspended.warm!.hourlyPrice).toBeCloseTo((216 * 0.17) / HOURS_PER_MONTH, 6);
    expect(suspended.warm!.resumeSeconds).toBe(45);
    const given = resolveConfig(parseConfig(config({ warm: { max: 1, hourlyPrice: 0.5 } }))).fleets[0]!.pools[0]!;
    expect(given.warm!.hourlyPrice).toBe(0.5);
  });

  it('has a cited price for every disk type', () => {
    for (const [type, price] of Object.entries(DISK_PRICES)) {
      expect(price.source, type).toMatch(/^https:\/\//);
      expect(warmHourlyPrice(type as keyof typeof DISK_PRICES, 730, 'stopped')).toBeCloseTo(price.perGbMonth, 9);
    }
  });
});
