/**
 * Creations a cloud keeps failing for capacity, as a pool's observation shows them (a GCP MIG's instances with
 * no status and a failed last attempt), become the engine's launch-failure signals (`observedFailureSignals`).
 */
import { describe, expect, it } from 'vitest';
import { type FleetObservation, observedFailureSignals } from '../../shared/app/observe.ts';
import type { PoolObservation } from '../../shared/domain/ports.ts';
import { OBSERVED_FAILURE_SOURCE } from '../../shared/engine/signals.ts';
import { fleet, pool } from '../engine/fixtures.ts';

const AT = new Date('2026-03-02T12:00:00.000Z');
const l4 = pool({ id: 'gcp-l4', cloud: 'gcp', capacityType: 'on-demand' });
const spot = pool({ id: 'spot', capacityType: 'spot' });
const f = fleet([l4, spot]);
const observed = (launchFailures?: PoolObservation['launchFailures']): FleetObservation => ({
  fleet: f,
  instances: new Map(),
  observations: new Map([
    [
      'gcp-l4',
      {
        ref: { id: 'gcp-l4' } as PoolObservation['ref'],
        desired: 4,
        ready: 2,
        instances: [],
        ...(launchFailures ? { launchFailures } : {}),
      },
    ],
  ]),
  failures: [],
});

describe('observedFailureSignals', () => {
  it('makes one launch-failure notice per pool and zone, from the observation source', () => {
    const signals = observedFailureSignals(
      observed([
        { zone: 'us-central1-a', code: 'ZONE_RESOURCE_POOL_EXHAUSTED' },
        { zone: 'us-central1-b', code: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS' },
      ]),
      'evt-1',
      AT,
    );
    expect(signals).toEqual([
      {
        type: 'capacity-notice',
        kind: 'launch-unsuccessful',
        cloud: 'gcp',
        eventId: 'evt-1#observed:gcp-l4:us-central1-a',
        source: OBSERVED_FAILURE_SOURCE,
        time: AT.toISOString(),
        fleetId: f.id,
        poolId: 'gcp-l4',
        instanceIds: [],
        zone: 'us-central1-a',
        detail: 'gcp-l4: the cloud keeps failing to create instances in us-central1-a (ZONE_RESOURCE_POOL_EXHAUSTED)',
      },
      expect.objectContaining({ eventId: 'evt-1#observed:gcp-l4:us-central1-b', zone: 'us-central1-b' }),
    ]);
  });

  it('a failure without a zone is the whole pool; no failure, or a pool not observed, makes none', () => {
    const [whole] = observedFailureSignals(observed([{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }]), 'evt-2', AT);
    expect(whole).toMatchObject({ eventId: 'evt-2#observed:gcp-l4', poolId: 'gcp-l4' });
    expect(whole).not.toHaveProperty('zone');
    expect(observedFailureSignals(observed(), 'evt-3', AT)).toEqual([]);
    expect(observedFailureSignals(observed([]), 'evt-4', AT)).toEqual([]);
  });
});
