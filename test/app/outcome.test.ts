/**
 * The history entry of an executed plan says what the cloud holds: a resize that failed after the cloud had
 * already taken the new desired count (a timed-out call, a long-running operation that failed late) is
 * recorded with that count, so the engine's launch-shortfall check gives its nodes their launch grace.
 */
import { describe, expect, it } from 'vitest';
import { type AppDeps, silentLogger } from '../../shared/app/deps.ts';
import { executePlan } from '../../shared/app/execute.ts';
import { historyOf } from '../../shared/app/outcome.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import type { CapacityPort, PoolObservation, PoolRef } from '../../shared/domain/ports.ts';
import type { Fleet, Pool } from '../../shared/domain/types.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { launchShortfalls } from '../../shared/engine/shortfall.ts';
import type { HistoryEntry, Plan } from '../../shared/engine/types.ts';

const pool = { id: 'gpu-a', cloud: 'aws', kind: 'asg', resource: 'gpu-a', location: 'us-east-1' } as unknown as Pool;
const fleet = { id: 'f', pools: [pool] } as unknown as Fleet;

/** A pool of 2 asked to grow to 5; `resize` says what the fake cloud does with the write. */
type Resize =
  | 'applies'
  | 'keeps-then-fails'
  | 'partly-then-fails'
  | 'fails'
  | 'keeps-then-fails-unreadable'
  | 'keeps-then-refuses';
function fakeCloud(resize: Resize) {
  let desired = 2;
  const observe = (ref: PoolRef): PoolObservation => ({ ref, desired, ready: 2, instances: [] });
  const timedOut = () =>
    new CloudError({ kind: 'transient', cloud: 'aws', operation: 'resizing aws asg gpu-a', message: 'timed out' });
  const refused = () =>
    new CloudError({
      kind: 'insufficient-capacity',
      cloud: 'azure',
      operation: 'resizing azure vmss gpu-a',
      code: 'ZonalAllocationFailed',
    });
  const port = {
    describePool: async (ref: PoolRef) => {
      if (resize === 'keeps-then-fails-unreadable') throw timedOut();
      return observe(ref);
    },
    setDesired: async (_ref: PoolRef, req: { desired: number }) => {
      const previous = desired;
      if (resize === 'fails') throw timedOut();
      desired = resize === 'partly-then-fails' ? 4 : req.desired;
      if (resize === 'keeps-then-refuses') throw refused();
      if (resize !== 'applies') throw timedOut();
      return { previous, desired };
    },
  } as unknown as CapacityPort;
  const deps = {
    resolved: {},
    clouds: { capacityFor: () => port, cluster: () => undefined },
    clock: () => new Date('2026-12-05T10:00:00Z'),
    logger: silentLogger,
  } as unknown as AppDeps;
  return { deps, desired: () => desired };
}

const entry: HistoryEntry = {
  at: '2026-12-05T10:00:00.000Z',
  fleetId: 'f',
  recommendation: 5,
  from: 2,
  to: 5,
  applied: true,
  pools: [{ poolId: 'gpu-a', from: 2, to: 5 }],
};
const plan = {
  dryRun: false,
  paused: false,
  actions: [{ type: 'set-desired', poolId: 'gpu-a', from: 2, to: 5, reason: 'scale up' }],
  historyEntry: entry,
} as unknown as Plan;

describe('historyOf records what the cloud holds after a resize', () => {
  it.each([
    {
      name: 'a failed set-desired whose cloud kept the new count is recorded with it',
      resize: 'keeps-then-fails' as const,
      want: { to: 5, pools: [{ poolId: 'gpu-a', from: 2, to: 5 }], applied: true },
    },
    {
      name: 'a failed set-desired whose cloud took part of the raise is recorded with what it took',
      resize: 'partly-then-fails' as const,
      want: { to: 4, pools: [{ poolId: 'gpu-a', from: 2, to: 4 }], applied: true },
    },
    {
      name: 'a failed set-desired whose cloud kept its count is left out',
      resize: 'fails' as const,
      want: { to: 2, pools: [], applied: false },
    },
    {
      name: 'a failed set-desired whose pool cannot be read again is left out (never guessed)',
      resize: 'keeps-then-fails-unreadable' as const,
      want: { to: 2, pools: [], applied: false },
    },
    {
      // The cloud keeps the count (a VM scale set whose allocation failed) but says the nodes are not coming:
      // they are placed elsewhere at once (the caller's launch-failure signal), not given a launch grace.
      name: 'a failed set-desired refused for capacity is left out, whatever count its cloud keeps',
      resize: 'keeps-then-refuses' as const,
      want: { to: 2, pools: [], applied: false },
    },
    {
      name: 'a set-desired that succeeded is recorded as planned',
      resize: 'applies' as const,
      want: { to: 5, pools: [{ poolId: 'gpu-a', from: 2, to: 5 }], applied: true },
    },
  ])('$name', async ({ resize, want }) => {
    const cloud = fakeCloud(resize);
    const result = await executePlan(cloud.deps, plan, { fleet, eventId: 'e' });
    expect(result.failed.length).toBe(resize === 'applies' ? 0 : 1);
    const got = historyOf(plan, result);
    expect({ to: got.to, pools: got.pools, applied: got.applied }).toEqual(want);
    expect(got.from).toBe(2);
    // A moment later, none of the nodes the cloud holds has launched yet: they are within their launch grace,
    // not short of capacity (except where the cloud could not be read again, the entry then cannot say, and
    // where it refused them for capacity).
    const later = {
      id: 'f',
      policy: { placement: { offeringBackoffSeconds: 300 } },
      pools: [{ ...pool, capacityType: 'on-demand', desired: cloud.desired(), ready: 2, launched: 2 }],
    } as unknown as Fleet;
    const short = launchShortfalls(later, [got], Date.parse(entry.at) + 10_000, new Reasons());
    expect(short.missing.get('gpu-a') ?? 0).toBe(
      resize === 'keeps-then-fails-unreadable' || resize === 'keeps-then-refuses' ? 3 : 0,
    );
  });
});
