/** fast-check generators of random fleets, policies, histories, states and signals for the engine's properties. */
import fc from 'fast-check';
import type { CapacityReservation } from '../../shared/domain/ports.ts';
import type { Signal } from '../../shared/domain/signals.ts';
import type {
  Cloud,
  Fleet,
  FleetPolicy,
  MetricTarget,
  Pool,
  PoolKind,
  ScalingRules,
} from '../../shared/domain/types.ts';
import { WARM_STATES_OF_KIND, warmUnsupportedReason } from '../../shared/domain/warm.ts';
import type { DecisionInput, HistoryEntry } from '../../shared/engine/types.ts';
import { at, T0 } from './fixtures.ts';

const KINDS: Record<Cloud, PoolKind[]> = {
  aws: ['ec2-fleet', 'auto-scaling-group', 'eks-nodegroup'],
  azure: ['azure-vmss'],
  gcp: ['gcp-mig', 'gcp-regional-mig'],
  kubernetes: ['k8s-deployment', 'karpenter-nodepool'],
};
const ZONES = ['z-a', 'z-b', 'z-c'];

export interface GenOptions {
  /** Pool counts within [min, max] and fleet within the policy's bounds. */
  inBounds?: boolean;
  signals?: boolean;
  budget?: boolean;
  scaleToZero?: boolean;
  /**
   * SLO sizing (a demand history, an availability target) and warm pools: on (every input), off (none), or,
   * absent, about half the inputs, so each property also runs the headroom, the spot hedge, warm capacity and
   * consolidation, the paths the plain inputs never reach.
   */
  slo?: boolean;
}

const poolArb = (i: number, inBounds: boolean): fc.Arbitrary<Pool> =>
  fc
    .record({
      cloud: fc.constantFrom<Cloud>('aws', 'azure', 'gcp', 'kubernetes'),
      kindIndex: fc.nat(2),
      capacityType: fc.constantFrom('spot', 'on-demand', 'reserved' as const),
      hourlyPrice: fc.double({ min: 0, max: 12, noNaN: true }),
      rpsPerNode: fc.integer({ min: 1, max: 50 }),
      min: fc.integer({ min: 0, max: 2 }),
      span: fc.integer({ min: 0, max: 25 }),
      desiredRaw: fc.integer({ min: 0, max: 30 }),
      readyShare: fc.double({ min: 0, max: 1, noNaN: true }),
      zones: fc.integer({ min: 1, max: 3 }),
      timeToReadySeconds: fc.integer({ min: 30, max: 900 }),
      reservation: fc.boolean(),
      // Instances the cloud started, when the observation says (fewer than desired: capacity short).
      launchedShort: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined, freq: 4 }),
      warm: fc.option(
        fc.record({
          min: fc.integer({ min: 0, max: 2 }),
          span: fc.integer({ min: 0, max: 10 }),
          resumeSeconds: fc.integer({ min: 30, max: 300 }),
          ready: fc.integer({ min: 0, max: 12 }),
          warming: fc.integer({ min: 0, max: 4 }),
        }),
        { nil: undefined },
      ),
    })
    .map((r) => {
      const max = r.min + r.span;
      const desired = inBounds ? Math.min(Math.max(r.desiredRaw, r.min), max) : r.desiredRaw;
      const kinds = KINDS[r.cloud];
      return {
        id: `p${i}`,
        cloud: r.cloud,
        kind: kinds[r.kindIndex % kinds.length],
        resource: `res-${i}`,
        location: { region: 'r1', zones: ZONES.slice(0, r.zones) },
        instanceType: 'g',
        gpuModel: 'gpu',
        gpusPerNode: 1,
        capacityType: r.capacityType,
        hourlyPrice: r.capacityType === 'reserved' ? r.hourlyPrice / 10 : r.hourlyPrice,
        rpsPerNode: r.rpsPerNode,
        min: r.min,
        max,
        timeToReadySeconds: r.timeToReadySeconds,
        desired,
        ready: Math.floor(desired * r.readyShare),
        reservationId: r.capacityType === 'reserved' && r.reservation ? `cr-${i}` : undefined,
        ...(r.launchedShort !== undefined ? { launched: Math.max(0, desired - r.launchedShort) } : {}),
        ...(r.warm && !warmUnsupportedReason(kinds[r.kindIndex % kinds.length], r.capacityType)
          ? {
              warm: {
                min: r.warm.min,
                max: r.warm.min + r.warm.span,
                state: (WARM_STATES_OF_KIND[kinds[r.kindIndex % kinds.length]] ?? ['stopped'])[0],
                resumeSeconds: r.warm.resumeSeconds,
                diskType: 'gp3' as const,
                diskGb: 100,
                hourlyPrice: 0.011,
              },
              warmObserved: {
                ready: Math.min(r.warm.ready, r.warm.min + r.warm.span),
                warming: r.warm.warming,
                target: r.warm.min + r.warm.span,
              },
            }
          : {}),
      } satisfies Pool;
    });

const rulesArb: fc.Arbitrary<ScalingRules> = fc.record({
  stabilizationWindowSeconds: fc.constantFrom(0, 60, 300, 900),
  selectPolicy: fc.constantFrom('Max', 'Min', 'Disabled' as const),
  policies: fc.array(
    fc.record({
      type: fc.constantFrom('Pods', 'Percent' as const),
      value: fc.integer({ min: 1, max: 200 }),
      periodSeconds: fc.constantFrom(15, 60, 300),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  tolerance: fc.option(fc.double({ min: 0, max: 0.3, noNaN: true }), { nil: undefined }),
});

const policyArb = (opts: GenOptions): fc.Arbitrary<FleetPolicy> =>
  fc
    .record({
      minNodes: fc.integer({ min: 0, max: 6 }),
      span: fc.integer({ min: 0, max: 60 }),
      tolerance: fc.double({ min: 0, max: 0.3, noNaN: true }),
      metrics: fc.constantFrom<MetricTarget[]>(
        [{ metric: 'gpu_utilization', target: 70 }],
        [
          { metric: 'gpu_utilization', target: 70 },
          { metric: 'queue_depth', target: 4, activation: 2 },
        ],
        [],
      ),
      demandBuffer: fc.double({ min: 0, max: 0.5, noNaN: true }),
      scaleUp: rulesArb,
      scaleDown: rulesArb,
      onDemandBase: fc.integer({ min: 0, max: 5 }),
      spotShare: fc.double({ min: 0, max: 1, noNaN: true }),
      maxSpotSharePerZone: fc.double({ min: 0.2, max: 1, noNaN: true }),
      offeringBackoffSeconds: fc.integer({ min: 60, max: 1800 }),
      maxPerCloud: fc.option(fc.record({ aws: fc.integer({ min: 0, max: 40 }) }), { nil: undefined }),
      maxStepUp: fc.integer({ min: 1, max: 30 }),
      maxStepDown: fc.integer({ min: 1, max: 30 }),
      scaleUpCooldownSeconds: fc.constantFrom(0, 60, 300),
      scaleDownCooldownSeconds: fc.constantFrom(0, 300, 600),
      hourlyBudgetUsd:
        opts.budget === false
          ? fc.constant(undefined)
          : fc.option(fc.double({ min: 1, max: 300, noNaN: true }), { nil: undefined }),
      scaleToZero: opts.scaleToZero === undefined ? fc.boolean() : fc.constant(opts.scaleToZero),
      maxGpus: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined, freq: 4 }),
      disruption: fc.option(
        fc.record({
          nodes: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0%', '10%', '50%' as const)),
          windowSeconds: fc.option(fc.constantFrom(60, 600, 3600), { nil: undefined }),
        }),
        { nil: undefined, freq: 4 },
      ),
    })
    .map((r) => ({
      minNodes: r.minNodes,
      maxNodes: r.minNodes + r.span,
      tolerance: r.tolerance,
      metrics: r.metrics,
      demandBuffer: r.demandBuffer,
      scaleUp: r.scaleUp,
      scaleDown: r.scaleDown,
      placement: {
        onDemandBase: r.onDemandBase,
        spotShare: r.spotShare,
        maxSpotSharePerZone: r.maxSpotSharePerZone,
        offeringBackoffSeconds: r.offeringBackoffSeconds,
        maxPerCloud: r.maxPerCloud,
      },
      safety: {
        maxStepUp: r.maxStepUp,
        maxStepDown: r.maxStepDown,
        scaleUpCooldownSeconds: r.scaleUpCooldownSeconds,
        scaleDownCooldownSeconds: r.scaleDownCooldownSeconds,
        hourlyBudgetUsd: r.hourlyBudgetUsd,
        ...(r.maxGpus !== undefined ? { maxGpus: r.maxGpus } : {}),
        ...(r.disruption
          ? {
              disruptionBudgets: [
                {
                  nodes: r.disruption.nodes as number | `${number}%`,
                  ...(r.disruption.windowSeconds !== undefined ? { windowSeconds: r.disruption.windowSeconds } : {}),
                },
              ],
            }
          : {}),
      },
      scaleToZero: r.scaleToZero,
    }));

const historyArb: fc.Arbitrary<HistoryEntry[]> = fc.array(
  fc
    .record({
      secondsAgo: fc.integer({ min: 1, max: 900 }),
      recommendation: fc.integer({ min: 0, max: 60 }),
      from: fc.integer({ min: 0, max: 60 }),
      to: fc.integer({ min: 0, max: 60 }),
      applied: fc.boolean(),
      dryRun: fc.boolean(),
    })
    .map((h) => ({
      at: at(-h.secondsAgo),
      recommendation: h.recommendation,
      from: h.from,
      to: h.to,
      applied: h.applied,
      dryRun: h.dryRun,
    })),
  { maxLength: 6 },
);

/**
 * A recorded demand history, one sample a minute up to now (epoch seconds, requests/s): a level with noise,
 * bursts and stretches of idle, drawn from a seed (so it shrinks by its parameters), and an availability target.
 */
const sloArb = fc.record({
  availability: fc.constantFrom(0.9, 0.99, 0.995, 0.999),
  minutes: fc.integer({ min: 0, max: 240 }),
  level: fc.double({ min: 0, max: 800, noNaN: true }),
  noise: fc.double({ min: 0, max: 0.5, noNaN: true }),
  burst: fc.double({ min: 0, max: 0.2, noNaN: true }),
  idle: fc.double({ min: 0, max: 0.3, noNaN: true }),
  seed: fc.nat(),
});

function demandHistoryOf(h: {
  minutes: number;
  level: number;
  noise: number;
  burst: number;
  idle: number;
  seed: number;
}): [number, number][] {
  let x = h.seed % 2147483647 || 1;
  const rand = () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647;
  };
  const now = Math.floor(T0.getTime() / 1000);
  return Array.from({ length: h.minutes }, (_, k) => {
    const u = rand();
    const v = rand();
    const rps = u < h.idle ? 0 : h.level * (1 + h.noise * (2 * v - 1)) * (rand() < h.burst ? 1 + 3 * rand() : 1);
    return [now - (h.minutes - k) * 60, Math.max(0, rps)];
  });
}

/** A signal, with `pool` an index into the fleet's pools (resolved by `fleetInput`). */
const signalArb = (pools: Pool[]): fc.Arbitrary<Signal> => {
  const ids = pools.map((p) => p.id);
  const base = { source: 'test', time: T0.toISOString() };
  return fc.oneof(
    fc
      .record({
        kind: fc.constantFrom('warning', 'rebalance', 'preempt', 'maintenance', 'reservation-interruption' as const),
        poolId: fc.option(fc.constantFrom(...ids), { nil: undefined }),
        zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
        instances: fc.integer({ min: 1, max: 3 }),
        action: fc.constantFrom('terminate', 'reboot', undefined),
        n: fc.nat(1000),
      })
      .map(
        (s): Signal => ({
          ...base,
          type: 'interruption',
          eventId: `int-${s.n}`,
          cloud: 'aws',
          kind: s.kind,
          poolId: s.poolId,
          zone: s.zone,
          action: s.action,
          instanceIds: Array.from({ length: s.instances }, (_, k) => `i-${s.n}-${k}`),
          deadline: at(120),
        }),
      ),
    fc
      .record({
        kind: fc.constantFrom('delivered', 'active', 'expiring', 'expired', 'underutilized', 'scheduled' as const),
        pool: fc.nat(pools.length - 1),
        n: fc.nat(1000),
      })
      .map(
        (s): Signal => ({
          ...base,
          type: 'reservation-change',
          eventId: `res-${s.n}`,
          cloud: 'aws',
          kind: s.kind,
          reservationIds: [`cr-${s.pool}`],
          utilization: 0.3,
        }),
      ),
    fc
      .record({
        command: fc.constantFrom('scale', 'plan', 'pause', 'resume', 'status' as const),
        target: fc.integer({ min: 0, max: 80 }),
        // A pool's own target (the operator pins it), sometimes.
        poolId: fc.option(fc.constantFrom(...ids), { nil: undefined, freq: 3 }),
        n: fc.nat(1000),
      })
      .map(
        (s): Signal => ({
          ...base,
          type: 'operator-command',
          eventId: `op-${s.n}`,
          command: s.command,
          actor: 'prop',
          target: s.target,
          ...(s.command === 'scale' && s.poolId ? { poolId: s.poolId } : {}),
        }),
      ),
    fc.record({ value: fc.double({ min: 0, max: 300, noNaN: true }), n: fc.nat(1000) }).map(
      (s): Signal => ({
        ...base,
        type: 'metric-alarm',
        eventId: `al-${s.n}`,
        cloud: 'aws',
        alarmName: 'gpu',
        state: 'ALARM',
        alarmKind: 'metric',
        metricName: 'gpu_utilization',
        value: s.value,
        dimensions: {},
      }),
    ),
  );
};

export function fleetInput(opts: GenOptions = {}): fc.Arbitrary<DecisionInput> {
  const inBounds = opts.inBounds ?? false;
  return fc
    .integer({ min: 1, max: 6 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i, inBounds))))
    .chain((pools) =>
      fc.record({
        pools: fc.constant(pools),
        policy: policyArb(opts),
        history: historyArb,
        signals: opts.signals === false ? fc.constant<Signal[]>([]) : fc.array(signalArb(pools), { maxLength: 3 }),
        gpu: fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: undefined }),
        queue: fc.option(fc.double({ min: 0, max: 40, noNaN: true }), { nil: undefined }),
        rps: fc.option(fc.double({ min: 0, max: 1500, noNaN: true }), { nil: undefined }),
        forecast: fc.option(fc.double({ min: 0, max: 1500, noNaN: true }), { nil: undefined }),
        backoff: fc.option(fc.nat(pools.length - 1), { nil: undefined }),
        paused: fc.boolean(),
        reservationState: inBounds
          ? fc.constantFrom('active', undefined)
          : fc.constantFrom('active', 'scheduled', undefined),
        // A schedule window active now (T0 is a Monday noon, UTC): a floor, a ceiling, a freeze.
        window: fc.option(
          fc.record({
            minNodes: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
            maxNodes: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
            freeze: fc.boolean(),
            freezeScaleDown: fc.boolean(),
            // Starting within the lead time (T0 + 5 min): its floor is reached ready by its start.
            ahead: fc.boolean(),
          }),
          { nil: undefined, freq: 4 },
        ),
        // The cloud said it could not launch in a pool (Auto Scaling's EC2 Instance Launch Unsuccessful).
        launchFailed: fc.option(fc.nat(pools.length - 1), { nil: undefined, freq: 5 }),
        // Spot losses the fleet has seen (the spot risk model's state): exposure and losses per offering, and
        // loss events over the last day (correlated when several fall together).
        risk: fc.option(
          fc.record({
            hours: fc.array(fc.double({ min: 0, max: 200, noNaN: true }), {
              minLength: pools.length,
              maxLength: pools.length,
            }),
            losses: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: pools.length, maxLength: pools.length }),
            events: fc.array(
              fc.record({
                pool: fc.nat(pools.length - 1),
                ago: fc.integer({ min: 0, max: 86_400 }),
                nodes: fc.integer({ min: 1, max: 6 }),
                held: fc.integer({ min: 1, max: 12 }),
              }),
              { maxLength: 6 },
            ),
          }),
          { nil: undefined },
        ),
        unobserved: fc.option(fc.nat(pools.length - 1), { nil: undefined, freq: 6 }),
        ending: fc.boolean(),
        stillThere: fc.boolean(),
        bridged: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: pools.length, maxLength: pools.length }),
        hold: fc.option(
          fc.record({ rps: fc.double({ min: 0, max: 600, noNaN: true }), ago: fc.integer({ min: 0, max: 90_000 }) }),
          { nil: undefined },
        ),
        slo: opts.slo === false ? fc.constant(undefined) : opts.slo ? sloArb : fc.option(sloArb, { nil: undefined }),
      }),
    )
    .map((g) => {
      // Consts, so the callbacks below see them narrowed.
      const { risk, hold } = g;
      let policy = g.policy;
      // Warm pools only with SLO sizing (the plain inputs keep the shapes their properties were written for).
      let pools: Pool[] = g.slo ? g.pools : g.pools.map(({ warm: _w, warmObserved: _o, ...p }) => p);
      if (inBounds) {
        // Fleet within its bounds, pools able to hold the max: only rate rules can limit the change.
        const total = pools.reduce((s, p) => s + p.desired, 0);
        const mins = pools.reduce((s, p) => s + p.min, 0);
        const minNodes = Math.max(Math.min(policy.minNodes, total), mins);
        policy = {
          ...policy,
          minNodes,
          maxNodes: Math.max(policy.maxNodes, total, minNodes),
          placement: { ...policy.placement, maxPerCloud: undefined },
          safety: { ...policy.safety, maxGpus: undefined },
        };
        pools = pools.map(({ launched: _l, ...p }) => ({ ...p, max: p.max + policy.maxNodes }));
      }
      const fleet: Fleet = {
        id: 'prop',
        slo: { p95LatencyMs: 500, availability: g.slo?.availability ?? 0.99 },
        policy,
        pools,
      };
      const metrics = [
        ...(g.gpu !== undefined ? [{ metric: 'gpu_utilization', value: g.gpu }] : []),
        ...(g.queue !== undefined ? [{ metric: 'queue_depth', value: g.queue }] : []),
      ];
      const reservations: CapacityReservation[] | undefined = g.reservationState
        ? pools
            .filter((p) => p.reservationId)
            .map((p) => ({
              id: p.reservationId as string,
              cloud: p.cloud,
              // Sometimes a capacity block ending within the lead time: its nodes' replacements are placed ahead, all
              // at once (past the rate limits: not for a fleet within its bounds, where only those may limit).
              type: g.ending && !inBounds ? 'capacity-block' : 'odcr',
              instanceType: 'g',
              zone: 'z-a',
              total: 10,
              available: 3,
              state: g.reservationState as string,
              endTime: at(g.ending && !inBounds ? 600 : 7200),
            }))
        : undefined;
      // Within its bounds only the rate rules may limit the change: no window, no launch failure.
      const window = inBounds ? undefined : g.window;
      const signals: Signal[] =
        g.launchFailed === undefined || inBounds
          ? g.signals
          : [
              ...g.signals,
              {
                source: 'test',
                time: T0.toISOString(),
                type: 'capacity-notice',
                eventId: `cap-${g.launchFailed}`,
                cloud: pools[g.launchFailed].cloud,
                kind: 'launch-unsuccessful',
                instanceIds: [],
                poolId: pools[g.launchFailed].id,
              } as Signal,
            ];
      return {
        fleet,
        signals,
        ...(window
          ? {
              schedule: [
                {
                  name: 'w',
                  timeZone: 'UTC',
                  days: [1, 2, 3, 4, 5, 6, 7],
                  start: window.ahead ? '12:05' : '00:00',
                  end: '23:59',
                  ...(window.minNodes !== undefined ? { minNodes: window.minNodes } : {}),
                  ...(window.maxNodes !== undefined ? { maxNodes: window.maxNodes } : {}),
                  ...(window.freeze ? { freeze: true } : {}),
                  ...(window.freezeScaleDown ? { freezeScaleDown: true } : {}),
                },
              ],
            }
          : {}),
        metrics,
        demand: g.rps !== undefined ? { rps: g.rps } : undefined,
        forecast: g.forecast !== undefined ? [{ at: at(60), rps: g.forecast }] : undefined,
        history: g.history,
        state: {
          offeringBackoff:
            g.backoff !== undefined
              ? [{ poolId: `p${g.backoff}`, until: at(300), reason: 'interrupted' as const }]
              : [],
          paused: g.paused ? { by: 'prop', reason: 'test' } : undefined,
          ...(g.slo && risk
            ? {
                spotRisk: {
                  at: at(-60),
                  offerings: Object.fromEntries(
                    pools.map((p, k) => [`${p.id}/*`, { hours: risk.hours[k] ?? 0, losses: risk.losses[k] ?? 0 }]),
                  ),
                  events: risk.events.map((e) => ({
                    at: at(-e.ago),
                    offering: `${pools[e.pool]?.id ?? 'p0'}/*`,
                    nodes: e.nodes,
                    held: Math.max(e.nodes, e.held),
                  })),
                },
              }
            : {}),
          // What earlier decisions left: warm nodes resumed in place of cold launches, the warm pools' held need.
          ...(g.slo && pools.some((p) => p.warm)
            ? {
                warmBridge: Object.fromEntries(
                  pools.filter((p) => p.warm).map((p) => [p.id, g.bridged[Number(p.id.slice(1))] ?? 0]),
                ),
                ...(hold
                  ? {
                      warmHold: {
                        rps: hold.rps,
                        at: at(-hold.ago),
                        // Per pool: nodes out on bridges and nodes kept after a return, at times before now.
                        pools: Object.fromEntries(
                          pools
                            .filter((p) => p.warm)
                            .map((p, k) => [
                              p.id,
                              {
                                rps: hold.rps,
                                at: at(-hold.ago),
                                out: { nodes: g.bridged[k] ?? 0, at: at(-((hold.ago * (k + 1)) % 900)) },
                                kept: { nodes: g.bridged[(k + 1) % g.bridged.length] ?? 0, at: at(-hold.ago) },
                              },
                            ]),
                        ),
                      },
                    }
                  : {}),
              }
            : {}),
        },
        reservations,
        ...(g.slo ? { demandHistory: demandHistoryOf(g.slo) } : {}),
        // A pool its cloud could not describe (never observed): the Deployment is held.
        ...(g.unobserved !== undefined && !inBounds ? { unobservedPools: [pools[g.unobserved].id] } : {}),
        // Instances an earlier decision removes after their notice, still shown by the observation.
        ...(g.stillThere
          ? {
              stillThere: g.signals.flatMap((x) => (x.type === 'interruption' ? x.instanceIds.slice(0, 1) : [])),
            }
          : {}),
      };
    });
}
