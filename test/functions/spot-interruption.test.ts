/**
 * The spot-interruption function end to end, on the project's samples moved into the demo world: an EC2
 * Spot warning, an EC2 rebalance recommendation, an Azure Preempt (Scheduled Events document put on the bus
 * by the forwarder) and a GCP preemption (audit log entry pushed by Pub/Sub), through middy, Powertools, the
 * event schemas, the engine, the real SDK clients against the emulators, and dynalite.
 */
import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { SPOT_NOTICE_SECONDS, type WorldInstance } from '../../local/emulators/world.ts';
import { parseConfig, type ResolvedConfig, resolveConfig } from '../../shared/config/load.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { DEMO_CONFIG, FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import * as P from '../../local/sim/autoscaler-events.ts';
import { sample, tick } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DEMO_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000de';

function cluster(h: Harness) {
  return h.stack.kubernetes.get('gpu-demo')!.state;
}

/** Pods of the fleet's Deployment bound to a node. */
function podsOn(h: Harness, node: string) {
  return cluster(h).podRecords({ namespace: 'inference', nodeName: node });
}

/** Nodes a `spec.unschedulable: true` patch was sent for. */
function cordoned(h: Harness): string[] {
  return h.world
    .callsTo('kubernetes', 'nodes.patch')
    .map((c) => c.params as { path: string; body?: { spec?: { unschedulable?: boolean } } })
    .filter((p) => p.body?.spec?.unschedulable === true)
    .map((p) => p.path.split('/').at(-1)!);
}

/** The cloud takes the instances back (they turn `terminating` with the cloud's notice), as before its event. */
function takeBack(h: Harness, poolId: string, n: number): WorldInstance[] {
  const taken = h.world.instancesOf(poolId).slice(0, n);
  for (const i of taken) h.world.interrupt(i, 'spot', SPOT_NOTICE_SECONDS[i.cloud]);
  return taken;
}

/**
 * The demo configuration with these pools bought as spot: a cloud preempts only spot VMs, and the notice is
 * checked against the instance's own scheduling before it acts.
 */
function withSpot(poolIds: string[]): ResolvedConfig {
  const raw = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as {
    fleets: Array<{ pools: Array<Record<string, unknown>> }>;
  };
  for (const f of raw.fleets)
    for (const p of f.pools)
      if (poolIds.includes(p.id as string)) {
        p.capacityType = 'spot';
        delete p.warm; // a spot pool keeps no warm capacity
      }
  return resolveConfig(parseConfig(raw));
}

interface PreemptCase {
  name: string;
  poolId: string;
  /** The pool is bought on demand in the demo: run the case with it as spot. */
  asSpot?: boolean;
  /** Instances the cloud takes back. */
  taken: number;
  event(taken: WorldInstance[], id: string): unknown;
  /** The cloud call that ends the chosen instances and lowers the group. */
  removal: { service: string; operation: string };
  /** Seconds of notice the cloud gives. */
  notice: number;
  /** The drain deadline the event gives, in seconds after its delivery (T0). */
  deadline: number;
}

const PREEMPTIONS: PreemptCase[] = [
  {
    name: 'AWS EC2 Spot Instance Interruption Warning (EC2 Fleet)',
    poolId: 'aws-g5-spot',
    taken: 1,
    event: ([i], id) =>
      sample('aws-spot-interruption', 'valid', {
        at: T0,
        id,
        replace: { 'i-0a1b2c3d4e5f60718': i!.id, 'us-east-1a': i!.zone },
      }),
    // The fleet's target is lowered without termination, then exactly the interrupted instance is ended.
    removal: { service: 'ec2', operation: 'TerminateInstances' },
    notice: 120,
    // The warning's time plus two minutes.
    deadline: 120,
  },
  {
    name: 'Azure Preempt of two VMs of a scale set (forwarded Scheduled Events document)',
    poolId: 'azure-a100-spot',
    taken: 2,
    event: ([a, b], id) =>
      sample('azure-scheduled-events-forwarded', 'valid', {
        at: T0,
        id,
        replace: {
          'chat-nc24-spot_3': a!.id,
          'chat-nc24-spot_5': b!.id,
          'chat-nc24-spot': 'vmss-gpu-demo-a100-spot',
          'gpu-fleet': 'rg-gpu-demo',
          '7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': DEMO_SUBSCRIPTION,
        },
      }),
    removal: { service: 'arm', operation: 'virtualMachineScaleSets.deleteInstances' },
    notice: 30,
    // NotBefore: 28 s after the document was put on the bus (10:15:02 -> 10:15:30 in the sample).
    deadline: 28,
  },
  {
    name: 'GCP preemption audit log entry through a Pub/Sub push subscription',
    poolId: 'gcp-l4',
    asSpot: true,
    taken: 1,
    event: ([i], id) =>
      sample('gcp-preemption-pubsub', 'valid', {
        at: T0,
        id,
        replace: { 'gpu-fleet-prod': 'gpu-demo-project', 'chat-l4-spot-7x2k': i!.id, 'us-central1-a': i!.zone },
      }),
    removal: { service: 'compute', operation: 'instanceGroupManagers.deleteInstances' },
    notice: 30,
    // The log entry's timestamp plus 30 s; it was logged 0.7 s before Pub/Sub published it.
    deadline: 29.3,
  },
];

describe('spot-interruption function', () => {
  it.each(PREEMPTIONS)('$name: drains before the deadline, backs the offering off, replaces elsewhere', async (c) => {
    h = await startHarness({
      desired: { 'aws-g5-spot': 2, 'azure-a100-spot': 2, 'gcp-l4': 2 },
      ...(c.asSpot ? { resolved: withSpot([c.poolId]) } : {}),
    });
    const before = h.desired();
    const existing = new Set(h.world.allInstances().map((i) => i.id));
    const taken = takeBack(h, c.poolId, c.taken);
    const nodes = taken.map((i) => i.nodeName);
    for (const node of nodes) expect(podsOn(h, node).length).toBeGreaterThan(0);
    const id = crypto.randomUUID();

    const started = performance.now();
    const result = await h.invoke('spot-interruption', c.event(taken, id));
    const wallMs = performance.now() - started;

    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    // Far inside the notice (2 minutes on AWS, 30 s on Azure and GCP), even with this file's cold start
    // (loading every SDK) in it: a few seconds, most of it the first load.
    expect(wallMs).toBeLessThan((c.notice * 1000) / 3);

    // Cordoned, then drained through the Eviction API: no pod of the fleet is left on the nodes (a node whose
    // VM was deleted already is gone from the cluster).
    for (const node of nodes) {
      expect(cordoned(h)).toContain(node);
      expect(cluster(h).nodeOverlay(node)?.unschedulable ?? true).toBe(true);
      expect(podsOn(h, node)).toEqual([]);
    }
    const evicted = h.world.callsTo('kubernetes', 'pods.eviction.create');
    expect(evicted.length).toBeGreaterThanOrEqual(nodes.length);

    // The offering is backed off in the fleet state for offeringBackoffSeconds (180 s in the demo).
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.offeringBackoff).toContainEqual(
      expect.objectContaining({
        poolId: c.poolId,
        reason: 'interrupted',
        until: new Date(T0 + 180_000).toISOString(),
      }),
    );
    expect(state.interruptedInstances?.map((i) => i.instanceId).sort()).toEqual(taken.map((i) => i.id).sort());

    // The instances taken back serve no more (gone, or ending at the deadline) and as many new instances were
    // launched as were taken, none in the offering being taken back (the pool, or its zone when the notice
    // names one): the fleet keeps its size.
    for (const i of taken) expect(h.world.instance(i.id)?.state ?? 'gone').toMatch(/gone|terminating/);
    const mark = state.offeringBackoff.find((b) => b.poolId === c.poolId)!;
    const launched = h.world.allInstances().filter((i) => !existing.has(i.id));
    expect(launched).toHaveLength(c.taken);
    for (const i of launched)
      expect(i.poolId === c.poolId && (mark.zone === undefined || mark.zone === i.zone)).toBe(false);
    expect(h.totalDesired()).toBe(Object.values(before).reduce((a, b) => a + b, 0));
    expect(h.world.callsTo(c.removal.service, c.removal.operation).length).toBeGreaterThan(0);

    // The audit record says which instance, which deadline (the cloud's notice from the event time).
    const audits = await h.audits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ trigger: { fn: 'spot-interruption', signal: 'interruption' } });
    const plan = audits[0]!.plan as unknown as { actions: Array<Record<string, unknown>> };
    const drains = plan.actions.filter((a) => a.type === 'cordon-drain');
    expect(drains.map((d) => d.instanceId).sort()).toEqual(taken.map((i) => i.id).sort());
    for (const d of drains) expect(d.deadline).toBe(new Date(T0 + c.deadline * 1000).toISOString());
  });

  it('a rebalance recommendation launches a replacement elsewhere and cordons the node, without draining it', async () => {
    // No Capacity Block: a node moving onto it would let the fleet scale in, and the instance at risk would be
    // the one to go (drained now), which is not what this test is about.
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, block: null });
    const before = h.desired();
    const [at] = h.world.instancesOf('aws-g5-spot');
    const pods = podsOn(h, at!.nodeName).length;
    const event = sample('aws-rebalance-recommendation', 'valid', {
      at: T0,
      replace: { 'i-0a1b2c3d4e5f60718': at!.id },
    });
    const result = await h.invoke('spot-interruption', event);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    // One more node elsewhere; the instance at risk stays (and serves) until its interruption comes.
    const after = h.desired();
    expect(after['aws-g5-spot']).toBe(before['aws-g5-spot']);
    expect(h.totalDesired()).toBe(Object.values(before).reduce((a, b) => a + b, 0) + 1);
    expect(cordoned(h)).toEqual([at!.nodeName]);
    expect(cluster(h).nodeOverlay(at!.nodeName)?.unschedulable).toBe(true);
    expect(podsOn(h, at!.nodeName)).toHaveLength(pods);
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create')).toEqual([]);
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.offeringBackoff.map((b) => b.poolId)).toEqual(['aws-g5-spot']);
  });

  it('drains and removes a node replaced on its rebalance recommendation when its interruption warning follows', async () => {
    // EC2 sends the recommendation first and the two-minute warning later: the warning is no repeat of it (it
    // was taken for one, and the node was never drained before EC2 took it).
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, block: null });
    const [at] = h.world.instancesOf('aws-g5-spot');
    const rebalance = sample('aws-rebalance-recommendation', 'valid', {
      at: T0,
      replace: { 'i-0a1b2c3d4e5f60718': at!.id },
    });
    expect(await h.invoke('spot-interruption', rebalance)).toMatchObject({ status: 'decided' });
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create')).toEqual([]);

    h.world.interrupt(at!, 'spot', SPOT_NOTICE_SECONDS.aws);
    const warning = sample('aws-spot-interruption', 'valid', {
      at: T0 + 60_000,
      replace: { 'i-0a1b2c3d4e5f60718': at!.id, 'us-east-1a': at!.zone },
    });
    expect(await h.invoke('spot-interruption', warning)).toMatchObject({
      status: 'decided',
      decisions: [{ fleetId: FLEET, status: 'applied' }],
    });
    expect(podsOn(h, at!.nodeName)).toEqual([]);
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create').length).toBeGreaterThan(0);
    const actions = (await h.audits()).flatMap(
      (a) => (a.plan as unknown as { actions: Array<Record<string, unknown>> }).actions,
    );
    expect(actions).toContainEqual(expect.objectContaining({ type: 'cordon-drain', instanceId: at!.id }));
    expect(actions).toContainEqual(expect.objectContaining({ type: 'remove-instance', instanceId: at!.id }));
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.interruptedInstances).toContainEqual(expect.objectContaining({ instanceId: at!.id, removing: true }));
  });

  it('acts once on a duplicate delivery, and once per instance when a second notice names it again', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2 } });
    const [i] = takeBack(h, 'aws-g5-spot', 1);
    const event = sample('aws-spot-interruption', 'valid', {
      at: T0,
      replace: { 'i-0a1b2c3d4e5f60718': i!.id, 'us-east-1a': i!.zone },
    });
    const first = await h.invoke('spot-interruption', event);
    const writes = h.writes().length;
    const desired = h.desired();
    expect(writes).toBeGreaterThan(0);

    // The same event again (EventBridge delivers at least once): the stored result, no call.
    expect(await h.invoke('spot-interruption', event)).toEqual(first);
    expect(h.writes()).toHaveLength(writes);
    expect(await h.audits()).toHaveLength(1);

    // Another event for the same instance (the IMDS notice relayed, say): decided again, but the instance is
    // already handled: no second drain, no second replacement.
    const again = sample('aws-spot-interruption', 'valid', {
      at: T0 + 5_000,
      replace: { 'i-0a1b2c3d4e5f60718': i!.id, 'us-east-1a': i!.zone },
    });
    expect(await h.invoke('spot-interruption', again)).toMatchObject({ status: 'decided' });
    expect(h.desired()).toEqual(desired);
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create')).toHaveLength(1);
    expect(await h.audits()).toHaveLength(2);
  });

  it('a decision before the drain counts the instance under notice out, though EC2 still shows it running', async () => {
    // EC2 keeps an instance under a spot notice running and healthy until the deadline (the emulator too): the
    // pool's description alone would count it as serving. The decision that follows, 30 s later with no drain
    // made yet (the drain function's commands are held), must neither count it nor replace it a second time.
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, drains: () => {} });
    const [victim] = takeBack(h, 'aws-g5-spot', 1);
    const FAKE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fake' };
    await h.invoke(
      'spot-interruption',
      sample('aws-spot-interruption', 'valid', {
        at: T0,
        replace: { 'i-0a1b2c3d4e5f60718': victim!.id, 'us-east-1a': victim!.zone },
      }),
    );
    const writes = h.writes().length;
    const desired = h.desired();
    h.world.advance(30);
    const ec2 = new EC2Client({ endpoint: h.stack.aws.endpoints.ec2, region: 'us-east-1', credentials: FAKE });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [victim!.id] }));
    ec2.destroy();
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');

    const second = crypto.randomUUID();
    await h.invoke('forecast', tick(T0 + 30_000, 'forecast', second));
    const plan = (await h.audit(second))!.plan as Plan;
    // Not counted as capacity (the state says it is leaving), not handled again, no second replacement: no
    // capacity write at all.
    const reasons = (plan.reasons ?? []).map((r) => `${r.code}: ${r.message}`).join('\n');
    expect(reasons).toContain(
      'placement.still-leaving: aws-g5-spot: 1 node(s) under a notice handled earlier are still there until their removal: not counted as capacity',
    );
    expect(reasons).not.toMatch(/placement\.interruption: instance/);
    expect(h.writes()).toHaveLength(writes);
    expect(h.desired()).toEqual(desired);
  });

  /** The forwarder's document for `victim` of the demo's Azure spot scale set, put on the bus at T0. */
  const latePreempt = (victim: WorldInstance, notBefore: number) =>
    P.azurePreempt(
      { id: crypto.randomUUID(), time: new Date(T0) },
      {
        name: victim.id,
        scaleSet: 'vmss-gpu-demo-a100-spot',
        resourceGroup: 'rg-gpu-demo',
        subscriptionId: DEMO_SUBSCRIPTION,
        location: 'eastus',
        zone: victim.zone,
      },
      new Date(notBefore),
      1,
    );

  it('a Preempt read after its deadline, its VM deleted: the loss learned and the zone backed off, nothing drained', async () => {
    // The forwarder put the document on the bus at T0; its decision runs 60 s later (a delayed delivery, a
    // retry), when Azure has deleted the VM (evictionPolicy Delete) 30 s after its notice.
    h = await startHarness({ desired: { 'azure-a100-spot': 2 }, block: null });
    const before = h.desired();
    const [victim] = takeBack(h, 'azure-a100-spot', 1);
    h.world.advance(60);
    expect(h.world.instance(victim!.id)).toBeUndefined();
    // Deleting the evicted VM lowered the scale set's capacity: nothing launches in its place on its own.
    expect(h.desired()['azure-a100-spot']).toBe(1);
    const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
    const result = await h.invoke('spot-interruption', latePreempt(victim!, T0 + 30_000));
    // The decision that reads the notice replaces it, in another offering (its zone is backed off).
    expect(total(h.desired())).toBe(total(before));
    expect(h.desired()['aws-g5-spot']).toBe(before['aws-g5-spot']! + 1);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET }] });
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create')).toEqual([]);
    expect(h.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances')).toEqual([]);

    const state = await h.stack.deps.store.getState(FLEET);
    // Backed off from the reclaim (NotBefore) for the demo's 180 s, in the zone the pool writes.
    expect(state.offeringBackoff).toContainEqual({
      poolId: 'azure-a100-spot',
      zone: victim!.zone.replace(/^.*-/, ''),
      until: new Date(T0 + 210_000).toISOString(),
      reason: 'interrupted',
    });
    expect(state.interruptedInstances?.map((i) => i.instanceId)).toEqual([victim!.id]);
    const [audit] = await h.audits();
    const plan = audit!.plan as Plan;
    expect(plan.actions).not.toContainEqual(expect.objectContaining({ code: 'interruption.unmapped' }));
    expect(plan.reasons.map((r) => r.code)).toContain('placement.interruption-late');
    expect(plan.spotRisk?.events).toContainEqual(
      expect.objectContaining({ offering: expect.stringMatching(/^azure-a100-spot\//), nodes: 1 }),
    );
  });

  it('a Preempt naming a VM that is gone before its deadline is not ours: reported, nothing backed off or learned', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 2 }, block: null });
    const [victim] = takeBack(h, 'azure-a100-spot', 1);
    h.world.advance(60);
    // NotBefore still 30 s ahead of the decision: the cloud did not take this VM back as the notice says.
    await h.invoke('spot-interruption', latePreempt(victim!, T0 + 90_000));
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.offeringBackoff).toEqual([]);
    const [audit] = await h.audits();
    const plan = audit!.plan as Plan;
    expect(plan.actions).toContainEqual(expect.objectContaining({ type: 'report', code: 'interruption.unmapped' }));
    expect(plan.spotRisk?.events ?? []).toEqual([]);
  });

  it('a Preempt of VMs in none of the fleet pools (another scale set in the same zone) changes nothing', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 2 }, block: null });
    const before = h.desired();
    const id = crypto.randomUUID();
    // The sample as it is: scale set chat-nc24-spot of another resource group, zone 2 (where one of ours is).
    const event = sample('azure-scheduled-events-forwarded', 'valid', { at: T0, id });
    const result = await h.invoke('spot-interruption', event);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'no-change' }] });
    expect(h.desired()).toEqual(before);
    expect(h.writes()).toEqual([]);
    expect((await h.stack.deps.store.getState(FLEET)).offeringBackoff).toEqual([]);
    const audits = await h.audits();
    expect((audits[0]!.plan as Plan).actions).toContainEqual(
      expect.objectContaining({ type: 'report', code: 'interruption.unmapped' }),
    );
  });
});

/** A pool asked for `more` nodes than its zones can launch (their capacity is what already runs). */
function shortOfCapacity(h: Harness, poolId: string, more: number) {
  const pool = h.world.pool(poolId)!;
  for (const z of pool.zones) {
    const running = h.world.instancesOf(poolId).filter((i) => i.zone === z).length;
    if (pool.capacityType === 'spot') h.world.setSpotCapacity(poolId, z, running);
    else h.world.setOnDemandCapacity(poolId, z, running);
  }
  h.world.setDesired(poolId, pool.desired + more);
  expect(h.world.instancesOf(poolId)).toHaveLength(pool.desired - more);
}

interface LaunchFailureCase {
  name: string;
  poolId: string;
  event(h: Harness, id: string): unknown;
}

/** A sample EC2 Fleet notice, its fleet id made the emulated spot fleet's. */
const fleetSample = (variant: string) => (h: Harness, id: string) =>
  sample('aws-ec2-fleet-notice', variant, {
    at: T0,
    id,
    replace: { 'fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': h.world.pool('aws-g5-spot')!.name },
  });

const LAUNCH_FAILURES: LaunchFailureCase[] = [
  {
    name: 'EC2 Fleet Error allLaunchSpecsTemporarilyBlacklisted (the sample)',
    poolId: 'aws-g5-spot',
    event: fleetSample('valid'),
  },
  {
    name: 'EC2 Fleet Information launchSpecTemporarilyBlacklisted (the sample)',
    poolId: 'aws-g5-spot',
    event: fleetSample('launch-spec-blacklisted'),
  },
  {
    name: 'EC2 Fleet Error as the simulated cloud sends it',
    poolId: 'aws-g5-spot',
    event: (h, id) => {
      const pool = h.world.pool('aws-g5-spot')!;
      return P.ec2FleetLaunchSpecsBlacklisted(
        { id, time: new Date(T0) },
        { fleetId: pool.name, instanceType: pool.instanceType, zones: pool.zones, spot: true },
      );
    },
  },
  {
    name: 'Auto Scaling EC2 Instance Launch Unsuccessful as the simulated cloud sends it',
    poolId: 'aws-g5-ondemand',
    event: (h, id) => {
      const pool = h.world.pool('aws-g5-ondemand')!;
      return P.autoScalingLaunchUnsuccessful(
        { id, time: new Date(T0) },
        {
          name: pool.name,
          instanceType: pool.instanceType,
          zone: pool.zones[0]!,
          subnetId: 'subnet-0a1b2c3d4e5f67890',
          previous: pool.desired - 2,
          desired: pool.desired,
        },
      );
    },
  },
];

describe('a launch the cloud could not make', () => {
  it.each(LAUNCH_FAILURES)('$name: backs the offering off and places its share elsewhere', async (c) => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2, 'aws-g5-ondemand': 2 }, block: null });
    shortOfCapacity(h, c.poolId, 2);
    const live = h.world.instancesOf(c.poolId).length;
    const before = h.desired();
    const id = crypto.randomUUID();

    const result = await h.invoke('spot-interruption', c.event(h, id));

    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.offeringBackoff).toContainEqual(
      expect.objectContaining({
        poolId: c.poolId,
        reason: 'insufficient-capacity',
        until: new Date(T0 + 180_000).toISOString(),
      }),
    );
    // The pool is asked for no more than it could launch; the nodes it could not launch are asked of the
    // other pools, in the same decision.
    const after = h.desired();
    expect(after[c.poolId]).toBeLessThanOrEqual(live);
    const elsewhere = (d: Record<string, number>) =>
      Object.entries(d).reduce((s, [p, n]) => (p === c.poolId ? s : s + n), 0);
    expect(elsewhere(after) - elsewhere(before)).toBeGreaterThanOrEqual(before[c.poolId]! - live);
    const audit = await h.audit(id);
    expect(audit).toMatchObject({ trigger: { fn: 'spot-interruption', signal: 'capacity-notice' } });
    expect((audit!.plan as Plan).actions).toContainEqual(
      expect.objectContaining({ type: 'mark-offering', poolId: c.poolId, reason: 'insufficient-capacity' }),
    );
  });

  it('an EC2 Fleet error that is not about capacity (the Spot Instance count limit) is observed only', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, block: null });
    const before = h.desired();
    const event = sample('aws-ec2-fleet-notice', 'count-limit', {
      at: T0,
      replace: { 'fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': h.world.pool('aws-g5-spot')!.name },
    });
    const result = await h.invoke('spot-interruption', event);
    expect(result).toMatchObject({ status: 'no-op' });
    expect(h.desired()).toEqual(before);
    expect((await h.stack.deps.store.getState(FLEET)).offeringBackoff).toEqual([]);
  });
});
