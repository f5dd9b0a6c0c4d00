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
      } satisfies Pool;
    });

const rulesArb: fc.Arbitrary<ScalingRules> = fc.record({
  stabilizationWindowSeconds: fc.constantFrom(0, 60, 300),
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
      }),
    )
    .map((g) => {
      let policy = g.policy;
      let pools = g.pools;
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
        };
        pools = pools.map((p) => ({ ...p, max: p.max + policy.maxNodes }));
      }
      const fleet: Fleet = { id: 'prop', slo: { p95LatencyMs: 500, availability: 0.99 }, policy, pools };
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
              type: 'odcr',
              instanceType: 'g',
              zone: 'z-a',
              total: 10,
              available: 3,
              state: g.reservationState as string,
              endTime: at(7200),
            }))
        : undefined;
      return {
        fleet,
        signals: g.signals,
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
        },
        reservations,
      };
    });
}
