import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { MODEL_PRESETS, rpsPerNode } from '../../shared/domain/capacity.ts';
import { DEFAULT_CATALOG } from '../../shared/domain/catalog.ts';
import { ConfigError } from '../../shared/domain/errors.ts';

const demoPath = fileURLToPath(new URL('../../config/demo.json', import.meta.url));

/** A valid pool, with fields replaced. */
const pool = (over: Record<string, unknown> = {}) => ({
  id: 'p',
  kind: 'auto-scaling-group',
  resource: 'x',
  region: 'r',
  zones: ['a'],
  instanceType: 'g5.xlarge',
  capacityType: 'spot',
  max: 1,
  ...over,
});
/** An Azure subscription id (a GUID). */
const SUB = '00000000-1111-2222-3333-444444444444';
/** A valid configuration of one fleet with one pool, with top-level fields added. */
const config = (poolOver: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  version: 1,
  fleets: [{ id: 'f', workload: 'llama3-8b', pools: [pool(poolOver)] }],
  ...top,
});

describe('configuration', () => {
  it('loads the demo configuration and resolves prices and throughput from the catalog and capacity model', async () => {
    const r = await loadConfigFile(demoPath);
    const fleet = r.fleets[0]!;
    expect(fleet.id).toBe('llm-demo');
    const spot = fleet.pools.find((p) => p.id === 'aws-g5-spot')!;
    expect(spot.hourlyPrice).toBe(DEFAULT_CATALOG.instanceTypes['g5.xlarge']!.spotHourly);
    expect(spot.rpsPerNode).toBeCloseTo(rpsPerNode(DEFAULT_CATALOG, MODEL_PRESETS['llama3-8b'], 'g5.xlarge', 12_000));
    // Reserved capacity is already paid: its marginal price is 0.
    const block = fleet.pools.find((p) => p.id === 'aws-p5-capacity-block')!;
    expect(block.hourlyPrice).toBe(0);
    // Its on-demand price is kept for nodes that outlive an On-Demand Capacity Reservation; others have none.
    expect(block.onDemandHourlyPrice).toBe(DEFAULT_CATALOG.instanceTypes[block.instanceType]!.onDemandHourly);
    expect(spot.onDemandHourlyPrice).toBeUndefined();
    // The fleet's policy layers over the defaults: HPA defaults kept, the file's placement and budget applied.
    // The demo waits longer than a node's time to ready (600 s) before scaling in.
    expect(fleet.policy.scaleDown.stabilizationWindowSeconds).toBe(900);
    expect(fleet.policy.scaleUp.stabilizationWindowSeconds).toBe(0);
    expect(fleet.policy.safety.hourlyBudgetUsd).toBeGreaterThan(0);
    expect(r.schedules['llm-demo']![0]!.timeZone).toBe('America/New_York');
  });

  it('accepts the minimal valid configuration the cases below break', () => {
    expect(resolveConfig(parseConfig(config())).fleets[0]!.pools[0]!.id).toBe('p');
  });

  it.each([
    // The EC2 Fleet of the corpus's EC2 Fleet Instance Change event.
    { kind: 'ec2-fleet', resource: 'fleet-598fb973-87b7-422d-be4d-6b0809bfff0a' },
    { kind: 'auto-scaling-group', resource: `eks-gpu-${'g'.repeat(247)}` },
    { kind: 'azure-vmss', resource: 'vmss_A100.spot-1', scope: `${SUB.toUpperCase()}/MC_ml(prod).eastus` },
    { kind: 'gcp-mig', resource: 'gpu-l4', scope: 'gpu-demo-project' },
    // A legacy domain-scoped project.
    { kind: 'gcp-regional-mig', resource: 'gpu-l4', scope: 'example.com:gpu-project' },
  ])('accepts the names $kind takes: $resource', (over) => {
    const p = resolveConfig(parseConfig(config({ capacityType: 'on-demand', ...over }))).fleets[0]!.pools[0]!;
    expect(p.resource).toBe(over.resource);
  });

  it.each([
    { name: 'default', policy: undefined, mode: undefined },
    { name: 'off', policy: { placement: { consolidation: 'off' } }, mode: 'off' },
  ])('carries the consolidation mode: $name', ({ policy, mode }) => {
    const c = {
      version: 1,
      fleets: [{ id: 'f', workload: 'llama3-8b', ...(policy ? { policy } : {}), pools: [pool()] }],
    };
    expect(resolveConfig(parseConfig(c)).fleets[0]!.policy.placement.consolidation).toBe(mode);
  });

  it.each([
    ['a missing field', config({ resource: undefined }), 'fleets[0].pools[0].resource'],
    ['an unknown pool kind', config({ kind: 'gke' }), 'fleets[0].pools[0].kind'],
    ['min above max', config({ min: 3, max: 1 }), 'fleets[0].pools[0].min'],
    ['a fleet without pools', { version: 1, fleets: [{ id: 'f', pools: [] }] }, 'fleets[0].pools'],
    [
      'a bad time zone',
      config(
        {},
        { schedules: [{ name: 's', fleets: ['f'], timeZone: 'Mars/Olympus_Mons', start: '08:00', end: '18:00' }] },
      ),
      'schedules[0].timeZone',
    ],
    ['an alarm for no fleet', config({}, { alarms: [{ alarm: 'a', fleetId: 'g' }] }), 'alarms[0].fleetId'],
    // A key with dots in brackets: `tags.kubernetes.io/cluster` read as three nested fields.
    [
      'a tag whose value is no string',
      config({ tags: { 'kubernetes.io/cluster': 5 } }),
      'fleets[0].pools[0].tags["kubernetes.io/cluster"]',
    ],
    [
      'a pool id used by two fleets',
      {
        version: 1,
        fleets: [
          { id: 'f', workload: 'llama3-8b', pools: [pool()] },
          { id: 'g', workload: 'llama3-8b', pools: [pool({ resource: 'y' })] },
        ],
      },
      'fleets[1].pools[0].id',
    ],
    [
      'one group scaled by two pools',
      { version: 1, fleets: [{ id: 'f', workload: 'llama3-8b', pools: [pool(), pool({ id: 'q' })] }] },
      'fleets[0].pools[1].resource',
    ],
    [
      // CloudWatch reads metrics by name, and runs no PromQL.
      'a PromQL demandQuery with CloudWatch as the metrics store',
      {
        version: 1,
        clouds: { cloudwatch: { namespace: 'GpuFleet' } },
        fleets: [{ id: 'f', workload: 'llama3-8b', demandQuery: 'sum(rate(x[1m]))', pools: [pool()] }],
      },
      'fleets[0].demandQuery',
    ],
    ['an unknown field (a typo is not ignored)', { version: 1, fleet: [] }, 'fleets'],
    // Names the cloud refuses, said before a call: `ml/.` read and scaled the Deployment `ml/scale`.
    [
      'a Deployment named .',
      config({ kind: 'k8s-deployment', resource: 'ml/.', capacityType: 'on-demand' }),
      'fleets[0].pools[0].resource',
    ],
    [
      'a namespace that is no DNS label',
      config({ kind: 'k8s-deployment', resource: 'ML/llm', capacityType: 'on-demand' }),
      'fleets[0].pools[0].resource',
    ],
    [
      'a GCP group name that is no RFC 1035 label',
      config({ kind: 'gcp-mig', resource: 'Gpu_A', scope: 'proj' }),
      'fleets[0].pools[0].resource',
    ],
    [
      'an EKS node group not named cluster/nodegroup',
      config({ kind: 'eks-nodegroup', resource: 'my cluster/ng', capacityType: 'on-demand' }),
      'fleets[0].pools[0].resource',
    ],
    [
      'a resource group named ..',
      config({ kind: 'azure-vmss', resource: 'vmss', scope: 'sub/..' }),
      'fleets[0].pools[0].scope',
    ],
    // An EC2 Fleet is found by its id: its name (a tag) found nothing, at the first decision.
    [
      'an EC2 Fleet named, not its id',
      config({ kind: 'ec2-fleet', resource: 'gpu-fleet' }),
      'fleets[0].pools[0].resource',
    ],
    [
      'an Auto Scaling group name of 256 characters',
      config({ kind: 'auto-scaling-group', resource: 'g'.repeat(256) }),
      'fleets[0].pools[0].resource',
    ],
    [
      'a scale set name with a space',
      config({ kind: 'azure-vmss', resource: 'vmss a100', scope: `${SUB}/rg-gpu` }),
      'fleets[0].pools[0].resource',
    ],
    [
      'a scale set name ending with -',
      config({ kind: 'azure-vmss', resource: 'vmss-', scope: `${SUB}/rg-gpu` }),
      'fleets[0].pools[0].resource',
    ],
    [
      'an Azure scope without its resource group',
      config({ kind: 'azure-vmss', resource: 'vmss', scope: SUB }),
      'fleets[0].pools[0].scope',
    ],
    [
      'a subscription that is no GUID',
      config({ kind: 'azure-vmss', resource: 'vmss', scope: 'my-subscription/rg-gpu' }),
      'fleets[0].pools[0].scope',
    ],
    [
      'a resource group ending with .',
      config({ kind: 'azure-vmss', resource: 'vmss', scope: `${SUB}/rg-gpu.` }),
      'fleets[0].pools[0].scope',
    ],
    [
      'a GCP project id of capitals',
      config({ kind: 'gcp-mig', resource: 'gpu-a', scope: 'My-Project' }),
      'fleets[0].pools[0].scope',
    ],
    [
      'a GCP project id too short',
      config({ kind: 'gcp-regional-mig', resource: 'gpu-a', scope: 'proj' }),
      'fleets[0].pools[0].scope',
    ],
    [
      'an Azure subscription that is no GUID',
      config({}, { clouds: { azure: { subscriptionId: 'my-subscription' } } }),
      'clouds.azure.subscriptionId',
    ],
    [
      'an unknown consolidation mode',
      {
        version: 1,
        fleets: [
          { id: 'f', workload: 'llama3-8b', policy: { placement: { consolidation: 'when-empty' } }, pools: [pool()] },
        ],
      },
      'fleets[0].policy.placement.consolidation',
    ],
  ])('rejects %s with the field path', (_name, value, path) => {
    try {
      parseConfig(JSON.parse(JSON.stringify(value)), 'test.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).path).toBe(path);
      expect((e as Error).message).toMatch(/^test\.json: /);
    }
  });

  it('names the pool whose instance type is unknown to the catalog and has no price', () => {
    const c = parseConfig(config({ instanceType: 'x9.huge', capacityType: 'on-demand' }));
    expect(() => resolveConfig(c, 'c.json')).toThrow(/fleets\[0\]\.pools\[0\]\.hourlyPrice/);
  });
});
