/**
 * Properties of the domain's pure mappings over random names: zones (zones.ts), clusters (clusters.ts), alarm
 * routing (routing.ts), the forwarded notices' kinds (forwarded.ts) and the drain handoff's event
 * (drain-command.ts, with the command `shared/app/handoff.ts` publishes and `events/` reads back).
 *
 * What each comment promises: a notice's zone maps to one of the pool's zones, written as the pool writes it,
 * or to none; every spelling of an Azure zone (`2`, `eastus-2`, `eastus-az2`, any case) is the pool's zone of
 * that number; an AWS zone id matches only through the account's aliases or when the pool lists the id; names
 * are compared case aside, and no other cloud reads Azure's numbers. A fleet's clusters are its Deployment's,
 * then its pools', each once; a node is an instance by its name, instance id or provider id's last segment.
 * An alarm name maps to its exact entry, else the longest prefix it starts with, the first listed among
 * equals. A forwarded kind is found by its own source and detail-type, and by nothing else. A drain command
 * published on the bus reads back as the drain the decision handed off. `PROP_RUNS` sets the runs per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergedEventId } from '../../events/fields.ts';
import { normalizeEvent } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { drainCommands } from '../../shared/app/handoff.ts';
import { clusterNames, clusterOfPoolConfig, fleetClusters, isNodeOf } from '../../shared/domain/clusters.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import { FORWARDED, type ForwardedKind, forwardedKind } from '../../shared/domain/forwarded.ts';
import type { GpuNode } from '../../shared/domain/ports.ts';
import { type AlarmRef, alarmRef } from '../../shared/domain/routing.ts';
import type { Cloud, Fleet } from '../../shared/domain/types.ts';
import { azureZoneNumber, isAwsZoneId, zoneInPool } from '../../shared/domain/zones.ts';
import type { CordonDrainAction, RemoveInstanceAction } from '../../shared/engine/types.ts';
import { fleet, pool, T0 } from '../engine/fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const CLOUDS: Cloud[] = ['aws', 'azure', 'gcp', 'kubernetes'];

/** `text` with the letters whose bit in `mask` is set in upper case. */
const cased = (text: string, mask: number): string =>
  [...text].map((c, i) => ((mask >>> (i % 31)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
const maskArb = fc.nat();

// --- Zones ---------------------------------------------------------------------------------------------------

/** An Azure region as ARM writes it: `eastus`, `westus3`, `eastus2euap`. */
const regionArb = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/);
/** Azure's spellings of zone `n` of `region`: the VMSS's `2`, the Kubernetes label's `eastus-2`, Event Grid's `eastus-az2`. */
type Spelling = 'number' | 'label' | 'event-grid';
const SPELLINGS: Spelling[] = ['number', 'label', 'event-grid'];
const spell = (s: Spelling, region: string, n: number): string =>
  s === 'number' ? `${n}` : s === 'label' ? `${region}-${n}` : `${region}-az${n}`;

/** An Azure pool: distinct zone numbers, each in a spelling and a case of its own (a pool may mix them), in any order. */
const azurePoolArb = fc
  .record({
    region: regionArb,
    zones: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom(...SPELLINGS), maskArb), {
      selector: ([n]) => n,
      maxLength: 4,
    }),
  })
  .map(({ region, zones }) => ({
    numbers: zones.map(([n]) => n),
    poolZones: zones.map(([n, s, mask]) => cased(spell(s, region, n), mask)),
    region,
  }));

/** An AWS zone name (`us-east-1a`, `ap-northeast-2c`). */
const awsNameArb = fc
  .tuple(
    fc.constantFrom('us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il'),
    fc.constantFrom('east', 'west', 'north', 'south', 'central', 'northeast', 'southeast'),
    fc.integer({ min: 1, max: 4 }),
    fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  )
  .map(([geo, dir, n, l]) => `${geo}-${dir}-${n}${l}`);
/** An AWS zone id (`use1-az1`, `apne2-az3`). */
const awsIdArb = fc
  .tuple(fc.stringMatching(/^[a-z]{2,5}$/), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }))
  .map(([p, r, k]) => `${p}${r}-az${k}`);
/** A GCP zone (`us-central1-a`) or any Kubernetes zone label. */
const gcpNameArb = fc
  .tuple(
    fc.constantFrom('us', 'europe', 'asia', 'me', 'southamerica'),
    fc.constantFrom('central', 'east', 'west', 'north', 'south', 'southeast'),
    fc.integer({ min: 1, max: 12 }),
    fc.constantFrom('a', 'b', 'c', 'f'),
  )
  .map(([geo, dir, n, l]) => `${geo}-${dir}${n}-${l}`);

/** Any zone text at all, spelled as any cloud would or not. */
const anyZoneArb = fc.oneof(
  fc.string({ maxLength: 16 }),
  awsNameArb,
  awsIdArb,
  gcpNameArb,
  fc
    .tuple(regionArb, fc.integer({ min: 0, max: 12 }), fc.constantFrom(...SPELLINGS))
    .map(([r, n, s]) => spell(s, r, n)),
  fc.constantFrom('__proto__', 'constructor', 'toString', ' 2 ', '', 'az', '0', '10'),
);

describe('azureZoneNumber and isAwsZoneId: properties', () => {
  it("reads zone n in each of Azure's spellings, any case", () => {
    fc.assert(
      fc.property(regionArb, fc.integer({ min: 1, max: 9 }), fc.constantFrom(...SPELLINGS), maskArb, (r, n, s, m) => {
        expect(azureZoneNumber(cased(spell(s, r, n), m))).toBe(`${n}`);
      }),
      RUNS,
    );
  });

  it('reads no zone in an AWS or GCP zone name, zone 0, or a number of two digits', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          awsNameArb,
          gcpNameArb,
          fc.integer({ min: 10, max: 99 }).map(String),
          regionArb.map((r) => `${r}-az0`),
          fc.constant('0'),
        ),
        (zone) => {
          expect(azureZoneNumber(zone)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it('is a digit 1-9 that ends the zone, or undefined, for any text', () => {
    fc.assert(
      fc.property(anyZoneArb, (zone) => {
        const n = azureZoneNumber(zone);
        if (n !== undefined) {
          expect(n).toMatch(/^[1-9]$/);
          expect(zone.trim().endsWith(n)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('tells zone ids from zone names and from Azure numbers', () => {
    fc.assert(
      fc.property(awsIdArb, awsNameArb, fc.integer({ min: 1, max: 9 }), (id, name, n) => {
        expect(isAwsZoneId(id)).toBe(true);
        expect(isAwsZoneId(name)).toBe(false);
        expect(isAwsZoneId(`${n}`)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('zoneInPool: properties', () => {
  it("is one of the pool's zones, exactly as written there, or undefined; a zone the pool writes is itself", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLOUDS),
        anyZoneArb,
        fc.array(anyZoneArb, { maxLength: 4 }),
        fc.option(fc.dictionary(awsIdArb, fc.oneof(awsNameArb, anyZoneArb), { maxKeys: 3 }), { nil: undefined }),
        fc.nat(),
        (cloud, zone, poolZones, aliases, pick) => {
          const got = zoneInPool(cloud, zone, poolZones, aliases);
          if (got !== undefined) expect(poolZones).toContain(got);
          if (poolZones.length > 0) {
            const own = poolZones[pick % poolZones.length]!;
            expect(zoneInPool(cloud, own, poolZones, aliases)).toBe(own);
          }
        },
      ),
      RUNS,
    );
  });

  it("maps every spelling of an Azure zone to the pool's zone of that number, as the pool spells it; none when it has not it", () => {
    fc.assert(
      fc.property(
        azurePoolArb,
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(...SPELLINGS),
        maskArb,
        ({ region, numbers, poolZones }, n, s, mask) => {
          const notice = cased(spell(s, region, n), mask);
          const i = numbers.indexOf(n);
          expect(zoneInPool('azure', notice, poolZones)).toBe(i < 0 ? undefined : poolZones[i]);
        },
      ),
      RUNS,
    );
  });

  it("maps a spelling naming another region than the pool's to none of its zones, the pool's own region's as above", () => {
    fc.assert(
      fc.property(
        azurePoolArb,
        regionArb,
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom<Spelling>('label', 'event-grid'),
        maskArb,
        ({ region, numbers, poolZones }, other, n, s, mask) => {
          fc.pre(other.toLowerCase() !== region.toLowerCase());
          const notice = cased(spell(s, other, n), mask);
          expect(zoneInPool('azure', notice, poolZones, undefined, region)).toBeUndefined();
          const own = cased(spell(s, region, n), mask);
          const i = numbers.indexOf(n);
          expect(zoneInPool('azure', own, poolZones, undefined, region)).toBe(i < 0 ? undefined : poolZones[i]);
        },
      ),
      RUNS,
    );
  });

  it('maps a zone that is no Azure spelling to no zone of an Azure pool (unless the pool writes it so)', () => {
    fc.assert(
      fc.property(azurePoolArb, fc.oneof(awsNameArb, gcpNameArb, fc.constantFrom('0', '10', 'eastus')), (p, zone) => {
        expect(zoneInPool('azure', zone, p.poolZones)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("maps an AWS zone id only through the account's aliases, or to the id the pool lists itself", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(awsNameArb, { minLength: 1, maxLength: 4 }),
        awsIdArb,
        fc.option(fc.oneof(awsNameArb, awsIdArb), { nil: undefined }),
        fc.boolean(),
        maskArb,
        (names, id, aliasTo, listsId, mask) => {
          const poolZones = listsId ? [...names, id] : names;
          const aliases = aliasTo === undefined ? undefined : { [id]: cased(aliasTo, mask) };
          const got = zoneInPool('aws', id, poolZones, aliases);
          if (listsId) expect(got).toBe(id);
          else if (aliasTo === undefined) expect(got).toBeUndefined();
          else expect(got).toBe(poolZones.find((z) => z.toLowerCase() === aliasTo.toLowerCase()));
        },
      ),
      RUNS,
    );
  });

  it('compares names case aside on AWS, GCP and Kubernetes, and reads no Azure number there', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Cloud>('aws', 'gcp', 'kubernetes'),
        fc.uniqueArray(fc.oneof(awsNameArb, gcpNameArb), { minLength: 1, maxLength: 4 }),
        fc.oneof(awsNameArb, gcpNameArb),
        maskArb,
        regionArb,
        fc.integer({ min: 1, max: 9 }),
        (cloud, poolZones, other, mask, region, n) => {
          for (const z of poolZones) expect(zoneInPool(cloud, cased(z, mask), poolZones)).toBe(z);
          const known = poolZones.some((z) => z === other);
          expect(zoneInPool(cloud, cased(other, mask), poolZones)).toBe(known ? other : undefined);
          // The pool's zone n in Azure's spellings is not a name these clouds compare: no digit trick.
          const azurePool = [`${n}`, `${region}-${n}`];
          expect(zoneInPool(cloud, `${region}-az${n}`, azurePool)).toBeUndefined();
          expect(zoneInPool(cloud, `${region}-${n}`, [`${n}`])).toBeUndefined();
        },
      ),
      RUNS,
    );
  });
});

// --- Clusters ------------------------------------------------------------------------------------------------

const clusterArb = fc.constantFrom('main', 'side', 'edge', 'gpu-east', 'gpu-west');

const fleetArb: fc.Arbitrary<Fleet> = fc
  .record({
    deployment: fc.option(clusterArb, { nil: undefined }),
    pools: fc.array(fc.option(clusterArb, { nil: undefined }), { maxLength: 5 }),
  })
  .map(({ deployment, pools }) => ({
    ...fleet(pools.map((c, i) => pool({ id: `p${i}`, tags: c ? { cluster: c } : {} }))),
    ...(deployment ? { deployment: { cluster: deployment, namespace: 'ml', name: 'llm', gpusPerReplica: 1 } } : {}),
  }));

/** Names in order of first appearance, each once (the oracle). */
const firsts = (names: readonly string[]): string[] => names.filter((n, i) => names.indexOf(n) === i);

describe('clusters: properties', () => {
  it("a pool's cluster in a configuration: its own, else its fleet Deployment's", () => {
    fc.assert(
      fc.property(fc.option(clusterArb, { nil: undefined }), fc.option(clusterArb, { nil: undefined }), (own, dep) => {
        expect(clusterOfPoolConfig(own ? { cluster: own } : {}, dep ? { cluster: dep } : undefined)).toBe(own ?? dep);
      }),
      RUNS,
    );
  });

  it("a fleet's clusters: its Deployment's first, then its pools' in order, each once; the configuration's, each once", () => {
    fc.assert(
      fc.property(fc.array(fleetArb, { maxLength: 4 }), (fleets) => {
        const perFleet = fleets.map((f) =>
          firsts([
            ...(f.deployment ? [f.deployment.cluster] : []),
            ...f.pools.flatMap((p) => (p.tags?.cluster ? [p.tags.cluster] : [])),
          ]),
        );
        fleets.forEach((f, i) => {
          expect(fleetClusters(f)).toEqual(perFleet[i]);
        });
        expect(clusterNames(fleets)).toEqual(firsts(perFleet.flat()));
      }),
      RUNS,
    );
  });
});

/** A node as `toGpuNode` reads it: its provider id and the instance id derived from its last segment. */
const nodeArb: fc.Arbitrary<GpuNode> = fc
  .tuple(
    fc.constantFrom(
      (id: string) => `aws:///us-east-1a/${id}`,
      (id: string) =>
        `azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/gpu/virtualMachines/${id}`,
      (id: string) => `gce://proj/us-central1-a/${id}`,
    ),
    fc.oneof(
      fc.stringMatching(/^i-[0-9a-f]{8,17}$/),
      fc.nat(40).map(String),
      fc.stringMatching(/^gke-[a-z0-9-]{1,20}$/),
    ),
    fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,30}$/),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([provider, id, name, hasProvider, hasInstanceId]) => ({
    name,
    ...(hasProvider ? { providerId: provider(id) } : {}),
    ...(hasProvider && hasInstanceId ? { instanceId: id } : {}),
    gpus: 1,
    ready: true,
    unschedulable: false,
    labels: {},
  }));

describe('isNodeOf: properties', () => {
  it("is the node's name, its instance id, its provider id's last segment (case aside): that node and no other", () => {
    fc.assert(
      fc.property(
        nodeArb,
        fc.oneof(fc.stringMatching(/^[A-Za-z0-9.-]{0,20}$/), fc.stringMatching(/^i-[0-9a-f]{8,17}$/)),
        maskArb,
        (node, other, mask) => {
          expect(isNodeOf(node, node.name)).toBe(true);
          const last = node.providerId?.split('/').at(-1);
          if (node.instanceId) expect(isNodeOf(node, cased(node.instanceId, mask))).toBe(true);
          if (last !== undefined) expect(isNodeOf(node, cased(last, mask))).toBe(true);
          const is =
            other === node.name ||
            (last !== undefined && last.toLowerCase() === other.toLowerCase()) ||
            (node.instanceId !== undefined && node.instanceId.toLowerCase() === other.toLowerCase());
          expect(isNodeOf(node, other)).toBe(is);
        },
      ),
      RUNS,
    );
  });
});

// --- Alarm routing -------------------------------------------------------------------------------------------

const alarmNameArb = fc.stringMatching(/^[a-c]{0,5}$/);
const refArb: fc.Arbitrary<AlarmRef> = fc.record(
  { fleetId: fc.constantFrom('chat', 'embed'), poolId: fc.constantFrom('p0', 'p1'), metric: fc.constantFrom('rps') },
  { requiredKeys: ['fleetId'] },
);
const routingArb = fc.record({
  alarms: fc.option(fc.dictionary(alarmNameArb, refArb, { maxKeys: 4 }), { nil: undefined }),
  alarmPrefixes: fc.option(
    fc.array(
      fc.tuple(alarmNameArb, refArb).map(([prefix, ref]) => ({ ...ref, prefix })),
      { maxLength: 5 },
    ),
    { nil: undefined },
  ),
});

describe('alarmRef: properties', () => {
  it('an exact entry, else the longest prefix the name starts with (the first listed among equals), without its prefix', () => {
    fc.assert(
      fc.property(
        routingArb,
        fc.oneof(alarmNameArb, fc.constantFrom('toString', '__proto__', 'constructor')),
        (ctx, name) => {
          const got = alarmRef(ctx, name);
          if (ctx.alarms && Object.hasOwn(ctx.alarms, name)) {
            expect(got).toBe(ctx.alarms[name]);
            return;
          }
          const matching = (ctx.alarmPrefixes ?? []).filter((p) => name.startsWith(p.prefix));
          const longest = Math.max(-1, ...matching.map((p) => p.prefix.length));
          const best = matching.find((p) => p.prefix.length === longest);
          if (!best) {
            expect(got).toBeUndefined();
            return;
          }
          const { prefix: _prefix, ...ref } = best;
          expect(got).toEqual(ref);
          expect(got).not.toHaveProperty('prefix');
        },
      ),
      RUNS,
    );
  });
});

// --- Forwarded notices and the drain command -----------------------------------------------------------------

const KINDS = Object.keys(FORWARDED) as ForwardedKind[];

describe('forwardedKind: properties', () => {
  it('finds each kind by its own source and detail-type, and nothing by any other pair', () => {
    const known = [...KINDS.map((k) => FORWARDED[k]), { source: DRAIN_SOURCE, detailType: DRAIN_DETAIL_TYPE }];
    const sourceArb = fc.oneof(fc.constantFrom(...known.map((f) => f.source)), fc.string({ maxLength: 12 }));
    const typeArb = fc.oneof(fc.constantFrom(...known.map((f) => f.detailType)), fc.string({ maxLength: 12 }));
    for (const k of KINDS) expect(forwardedKind(FORWARDED[k].source, FORWARDED[k].detailType)).toBe(k);
    fc.assert(
      fc.property(sourceArb, typeArb, maskArb, (source, detailType, mask) => {
        const kind = KINDS.find((k) => FORWARDED[k].source === source && FORWARDED[k].detailType === detailType);
        expect(forwardedKind(source, detailType)).toBe(kind);
        // Sources and detail-types are compared as they are: another case is another event.
        const other = cased(source, mask);
        if (other !== source) expect(forwardedKind(other, detailType)).toBeUndefined();
        expect(forwardedKind(` ${source}`, detailType)).toBeUndefined();
      }),
      RUNS,
    );
  });
});

/** A sample of the cloud's own payload for each kind forwarded as `detail` (events/samples). */
const PAYLOADS: Array<[ForwardedKind, string, string]> = [
  ['azureEventGrid', 'azure-event-grid', 'valid'],
  ['azureMonitor', 'azure-monitor-alert', 'valid'],
  ['azureMonitor', 'azure-monitor-alert', 'resolved'],
  ['gcpPreemption', 'gcp-preemption-logentry', 'valid'],
  ['gcpMonitoring', 'gcp-monitoring-incident', 'valid'],
  ['gcpMonitoring', 'gcp-monitoring-incident', 'closed'],
];

describe('forwarded notices: properties', () => {
  it("a notice forwarded on the bus reads as its payload does, whatever the envelope's id, time and origin", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAYLOADS),
        fc.uuid(),
        fc.integer({ min: 0, max: 365 * 86_400 }),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
        fc.stringMatching(/^[0-9]{12}$/),
        ([kind, folder, name], id, seconds, region, account) => {
          // One event: the receivers forward an Event Grid delivery's events one by one.
          const one = () => {
            const v = loadSample(folder, name);
            return Array.isArray(v) ? v[0] : v;
          };
          const payload = one();
          const ctx = { now: '2025-03-04T10:15:05.000Z' };
          const envelope = {
            version: '0',
            id,
            'detail-type': FORWARDED[kind].detailType,
            source: FORWARDED[kind].source,
            account,
            time: new Date(Date.UTC(2025, 0, 1) + seconds * 1000).toISOString().replace('.000', ''),
            region,
            resources: [],
            detail: one(),
          };
          expect(normalizeEvent(envelope, ctx)).toEqual(normalizeEvent(payload, ctx));
        },
      ),
      RUNS,
    );
  });
});

/**
 * Ids as the configuration (fleets and pools: `[a-z0-9][a-z0-9-]{0,62}`), the clouds (EC2 instance ids, Azure
 * VM names, GCE instance names), Kubernetes (node names) and the functions write them; the deciding event's id
 * as one event's (an EventBridge or Event Grid id, a Pub/Sub message id, an operator command's default id).
 */
const configIdArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
const drainArb = fc.record({
  fn: fc.constantFrom('spot-interruption', 'alarm', 'ops', 'schedule', 'capacity-reservation', 'forecast'),
  fleetId: configIdArb,
  eventId: fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.bigInt({ min: 10n ** 15n, max: 10n ** 17n }).map(String),
    configIdArb.map((f) => `ops:drain:${f}@2025-03-04T10:15:02.000Z`),
    // Several events merged into one signal (a Scheduled Events document's Preempts, an Event Grid array): past
    // 7 GUIDs the drain command refused the joined id (a counterexample the property found), past 27 the
    // document itself; and an operator's request id as long as a signal's may be.
    fc
      .uniqueArray(
        fc.uuid().map((u) => u.toUpperCase()),
        { minLength: 2, maxLength: 60 },
      )
      .map(mergedEventId),
    fc
      .tuple(fc.uuid(), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 221, maxLength: 988 }))
      .map(([u, digits]) => `${u}${digits.join('')}`),
  ),
  drains: fc.array(
    fc.record({
      ofNotice: fc.boolean(),
      instanceId: fc.oneof(
        fc.stringMatching(/^i-[0-9a-f]{17}$/),
        fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,62}$/), fc.nat(999)).map(([s, n]) => `${s}_${n}`),
      ),
      poolId: configIdArb,
      cluster: fc.oneof(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,99}$/),
        fc
          .stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$/)
          .map((n) => `arn:aws:eks:us-east-1:731482956104:cluster/${n}`),
      ),
      node: fc.oneof(
        fc.stringMatching(/^ip-10-0-[0-9]{1,3}-[0-9]{1,3}\.ec2\.internal$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,252}$/),
      ),
      deadlineSeconds: fc.integer({ min: 0, max: 35 * 86_400 }),
      startBySeconds: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
      kind: fc.constantFrom('warning', 'preempt', 'reservation-interruption', 'maintenance'),
      actor: fc.constantFrom('jdoe', 'arn:aws:sts::731482956104:assumed-role/oncall/jdoe'),
      removal: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

describe('the drain command: properties', () => {
  it('a command as published reads back, on the bus, as the drain the decision handed off', () => {
    fc.assert(
      fc.property(drainArb, fc.integer({ min: 0, max: 86_400_000 }), (r, offset) => {
        const at = new Date(T0.getTime() + offset).toISOString();
        const later = (s: number) => new Date(T0.getTime() + offset + s * 1000).toISOString();
        const handed = r.drains.map((d) => {
          // As the engine writes them (interruptions.ts, actions.ts).
          const reason = d.ofNotice ? `${d.kind} notice ${r.eventId}` : `operator drain by ${d.actor}`;
          const action: CordonDrainAction = {
            type: 'cordon-drain',
            ...(d.ofNotice ? { instanceId: d.instanceId, poolId: d.poolId } : { node: d.node }),
            cluster: d.cluster,
            deadline: later(d.deadlineSeconds),
            ...(d.startBySeconds !== undefined ? { startBy: later(d.startBySeconds) } : {}),
            reason,
          };
          const removals: RemoveInstanceAction[] =
            d.ofNotice && d.removal
              ? [{ type: 'remove-instance', poolId: d.poolId, instanceId: d.instanceId, reason }]
              : [];
          return { action, cluster: d.cluster, node: d.node, removals };
        });
        const commands = drainCommands({ fn: r.fn, fleetId: r.fleetId, eventId: r.eventId }, at, handed, []);
        expect(commands).toHaveLength(handed.length);
        commands.forEach((c, i) => {
          const h = handed[i]!;
          // As EventBridge delivers it: its own id and a time to the second.
          const envelope = {
            version: '0',
            id: '5c1f0e3a-8b2d-4e6f-9a1b-3c5d7e9f1a2b',
            'detail-type': c.event.detailType,
            source: c.event.source,
            account: '731482956104',
            time: `${at.slice(0, 19)}Z`,
            region: 'us-east-1',
            resources: [],
            detail: JSON.parse(JSON.stringify(c.event.detail)),
          };
          const signal = normalizeEvent(envelope);
          expect(signal).toMatchObject({
            type: 'drain-command',
            eventId: c.commandId,
            fleetId: r.fleetId,
            decision: { eventId: r.eventId, at, fn: r.fn },
            cluster: h.cluster,
            node: h.node,
            deadline: h.action.deadline,
            reason: h.action.reason,
          });
          if (signal.type !== 'drain-command') return;
          expect(signal.instanceId).toBe(h.action.instanceId);
          expect(signal.poolId).toBe(h.action.poolId);
          expect(signal.noticeEventId).toBe(h.action.instanceId ? r.eventId : undefined);
          expect(signal.startBy).toBe(h.action.startBy);
          expect(signal.removeReason).toBe(h.removals[0]?.reason);
        });
      }),
      RUNS,
    );
  });
});
