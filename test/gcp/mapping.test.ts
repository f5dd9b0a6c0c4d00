import { describe, expect, it } from 'vitest';
import {
  capacityTypeOfTemplate,
  isFailedCreation,
  type ManagedInstanceView,
  machineTypeName,
  parseInstanceUrl,
  parseTemplateUrl,
  requestIdFor,
  lifecycleOf,
  type TemplateView,
} from '../../shared/adapters/gcp/mapping.ts';
import type { InstanceLifecycle } from '../../shared/domain/ports.ts';

const healthy = [{ detailedHealthState: 'HEALTHY' }];

describe('lifecycleOf', () => {
  it.each<{ name: string; mi: ManagedInstanceView; want: InstanceLifecycle }>([
    { name: 'creating, no VM yet', mi: { currentAction: 'CREATING' }, want: 'pending' },
    { name: 'provisioning', mi: { currentAction: 'CREATING', instanceStatus: 'PROVISIONING' }, want: 'pending' },
    { name: 'staging', mi: { currentAction: 'CREATING', instanceStatus: 'STAGING' }, want: 'pending' },
    {
      name: 'running, verifying (initial delay)',
      mi: { currentAction: 'VERIFYING', instanceStatus: 'RUNNING' },
      want: 'running',
    },
    {
      name: 'running, health unknown',
      mi: { currentAction: 'NONE', instanceStatus: 'RUNNING', instanceHealth: [{ detailedHealthState: 'UNKNOWN' }] },
      want: 'running',
    },
    {
      name: 'running, unhealthy',
      mi: { currentAction: 'NONE', instanceStatus: 'RUNNING', instanceHealth: [{ detailedHealthState: 'UNHEALTHY' }] },
      want: 'running',
    },
    {
      name: 'running, healthy',
      mi: { currentAction: 'NONE', instanceStatus: 'RUNNING', instanceHealth: healthy },
      want: 'ready',
    },
    // Without health checks the MIG cannot tell booted from serving.
    { name: 'running, no health check', mi: { currentAction: 'NONE', instanceStatus: 'RUNNING' }, want: 'ready' },
    {
      name: 'healthy but one of two checks failing',
      mi: {
        currentAction: 'NONE',
        instanceStatus: 'RUNNING',
        instanceHealth: [{ detailedHealthState: 'HEALTHY' }, { detailedHealthState: 'TIMEOUT' }],
      },
      want: 'running',
    },
    {
      name: 'refreshing',
      mi: { currentAction: 'REFRESHING', instanceStatus: 'RUNNING', instanceHealth: healthy },
      want: 'running',
    },
    {
      name: 'draining',
      mi: { currentAction: 'NONE', instanceStatus: 'RUNNING', instanceHealth: [{ detailedHealthState: 'DRAINING' }] },
      want: 'terminating',
    },
    {
      name: 'deleting',
      mi: { currentAction: 'DELETING', instanceStatus: 'RUNNING', instanceHealth: healthy },
      want: 'terminating',
    },
    { name: 'abandoning', mi: { currentAction: 'ABANDONING', instanceStatus: 'RUNNING' }, want: 'terminating' },
    { name: 'spot VM preempted', mi: { currentAction: 'NONE', instanceStatus: 'STOPPING' }, want: 'terminating' },
    { name: 'stopped for good', mi: { currentAction: 'NONE', instanceStatus: 'TERMINATED' }, want: 'terminated' },
    // A preempted VM the MIG brings back.
    {
      name: 'terminated, being recreated',
      mi: { currentAction: 'RECREATING', instanceStatus: 'TERMINATED' },
      want: 'pending',
    },
    // The SDK decodes absent strings as ''.
    { name: 'empty strings from the SDK', mi: { currentAction: '', instanceStatus: '' }, want: 'pending' },
  ])('$name -> $want', ({ mi, want }) => {
    expect(lifecycleOf(mi)).toBe(want);
  });
});

describe('isFailedCreation', () => {
  it('is true for an instance the MIG could not create, false once it exists', () => {
    const failed = { lastAttempt: { errors: { errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }] } } };
    expect(isFailedCreation({ currentAction: 'CREATING', ...failed })).toBe(true);
    expect(isFailedCreation({ currentAction: 'CREATING', instanceStatus: 'STAGING', ...failed })).toBe(false);
    expect(isFailedCreation({ currentAction: 'CREATING' })).toBe(false);
  });
});

describe('capacityTypeOfTemplate', () => {
  it.each<{ name: string; t: TemplateView; want: string }>([
    { name: 'SPOT', t: { properties: { scheduling: { provisioningModel: 'SPOT' } } }, want: 'spot' },
    { name: 'legacy preemptible', t: { properties: { scheduling: { preemptible: true } } }, want: 'spot' },
    { name: 'STANDARD', t: { properties: { scheduling: { provisioningModel: 'STANDARD' } } }, want: 'on-demand' },
    {
      name: 'calendar reservation',
      t: { properties: { scheduling: { provisioningModel: 'RESERVATION_BOUND' } } },
      want: 'reserved',
    },
    {
      name: 'specific reservation',
      t: { properties: { reservationAffinity: { consumeReservationType: 'SPECIFIC_RESERVATION' } } },
      want: 'reserved',
    },
    { name: 'no scheduling at all', t: {}, want: 'on-demand' },
  ])('$name -> $want', ({ t, want }) => {
    expect(capacityTypeOfTemplate(t)).toBe(want);
  });
});

describe('resource names', () => {
  it('parses instance and template URLs, full and partial', () => {
    expect(
      parseInstanceUrl('https://www.googleapis.com/compute/v1/projects/p1/zones/us-central1-a/instances/vm-1'),
    ).toEqual({
      project: 'p1',
      zone: 'us-central1-a',
      name: 'vm-1',
    });
    expect(parseInstanceUrl('zones/europe-west4-b/instances/vm-2')).toEqual({
      project: undefined,
      zone: 'europe-west4-b',
      name: 'vm-2',
    });
    expect(parseTemplateUrl('https://www.googleapis.com/compute/v1/projects/p1/global/instanceTemplates/t1')).toEqual({
      project: 'p1',
      region: undefined,
      name: 't1',
    });
    expect(parseTemplateUrl('projects/p1/regions/us-east1/instanceTemplates/t2')).toEqual({
      project: 'p1',
      region: 'us-east1',
      name: 't2',
    });
    expect(machineTypeName('zones/us-central1-a/machineTypes/g2-standard-8')).toBe('g2-standard-8');
    expect(machineTypeName('')).toBeUndefined();
  });
});

describe('requestIdFor', () => {
  it('keeps a UUID token, lowercased', () => {
    expect(requestIdFor('3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301');
  });

  it('derives the same version-5 UUID from the same token, a different one from another', () => {
    const a = requestIdFor('plan-2026-01-05T00:00Z/gcp-l4-spot');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('plan-2026-01-05T00:00Z/gcp-l4-spot')).toBe(a);
    expect(requestIdFor('plan-2026-01-05T00:05Z/gcp-l4-spot')).not.toBe(a);
  });

  it('does not pass the zero UUID through (Compute rejects it)', () => {
    expect(requestIdFor('00000000-0000-0000-0000-000000000000')).not.toBe('00000000-0000-0000-0000-000000000000');
  });
});
